// libFuzzer harness for the zip reader (ZipReader) and the whole torch archive decoder (TorchFile).
// Built by scripts/fuzz.sh; not part of the SwiftPM package.
@testable import Checkpoint

/// Any input must either list records whose contents read back (or fail typed), or throw `TorchFileError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    do {
        let zip = try ZipReader(bytes: raw, file: "fuzz.pt")
        for entry in zip.entries {
            do {
                let contents = try zip.contents(of: entry)
                if contents.count != entry.uncompressedSize {
                    fatalError("record '\(entry.name)': \(contents.count) bytes, directory says \(entry.uncompressedSize)")
                }
            } catch is TorchFileError {}
        }
    } catch is TorchFileError {
    } catch {
        fatalError("untyped error from ZipReader: \(error)")
    }
    do {
        _ = try TorchFile.decode(raw, file: "fuzz.pt", device: .cpu, limits: .default)
    } catch is TorchFileError {
    } catch {
        fatalError("untyped error from TorchFile: \(error)")
    }
    return 0
}
