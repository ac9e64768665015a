// libFuzzer harness for the weights-only pickle interpreter (PickleReader), fed the bytes of a
// `data.pkl` directly. Built by scripts/fuzz.sh; not part of the SwiftPM package.
@testable import Checkpoint
import TensorCore

/// Stands in for TorchFile's record loader: any referenced storage exists and has exactly the
/// elements the pickle declares (so tensor rebuilds get past the size check), up to 1 MiB.
private func provider(_ ref: StorageReference, _ dtype: TorchDType, _ offset: Int) throws -> Storage {
    let unit = ref.dtype == nil ? 1 : dtype.elementSize
    let (bytes, overflow) = ref.numel.multipliedReportingOverflow(by: unit)
    guard !overflow, bytes >= 0, bytes <= 1 << 20, bytes % dtype.elementSize == 0 else {
        throw TorchFileError.storageSizeMismatch(file: "fuzz.pt", record: "archive/data/" + ref.key,
                                                 expectedBytes: overflow ? nil : bytes, foundBytes: 0, offset: offset)
    }
    let zeros = [UInt8](repeating: 0, count: bytes)
    return zeros.withUnsafeBytes { TorchFile.makeStorage($0, dtype: dtype, bigEndian: false) }
}

/// Any input must either decode to a `CheckpointValue` or throw `TorchFileError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    // The default limits, as TorchFile.read uses them: an input no longer than -max_len cannot
    // reach the object or stack limits, but it can reach the nesting-depth limit.
    let limits = TorchFile.Limits.default
    do {
        var reader = PickleReader(bytes: raw, file: "fuzz.pt", record: "archive/data.pkl", limits: limits,
                                  storageProvider: provider)
        _ = try reader.read()
    } catch is TorchFileError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    return 0
}
