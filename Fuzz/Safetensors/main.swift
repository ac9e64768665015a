// libFuzzer harness for the safetensors header parser (SafetensorsFile, JSONScanner).
// Built by scripts/fuzz.sh; not part of the SwiftPM package.
import TensorCore

/// Any input must either open (and then every tensor must materialise) or throw `SafetensorsError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let file = try SafetensorsFile(bytes: bytes, source: "fuzz.safetensors")
        for name in file.names {
            guard let info = file.info(name) else { fatalError("listed name '\(name)' has no info") }
            let t = try file.tensor(name)
            if t.shape != info.shape { fatalError("tensor '\(name)' shape \(t.shape) != header \(info.shape)") }
        }
        _ = try file.tensors()
        _ = file.metadata
    } catch is SafetensorsError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    return 0
}
