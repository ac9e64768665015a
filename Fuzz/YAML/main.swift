// libFuzzer harness for the YAML run-config loader (YAMLReader, ConfigDecoder, RunConfig checks).
// Built by scripts/fuzz.sh; not part of the SwiftPM package.
import Training

/// Any UTF-8 input must either parse to a config that round-trips through `yaml()`, or throw `ConfigError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // RunConfig.load rejects non-UTF-8 files before parsing, so only valid text reaches parse.
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return -1 }
    do {
        let config = try RunConfig.parse(yaml: text, source: "fuzz.yaml")
        let emitted = config.yaml()
        let again: RunConfig
        do { again = try RunConfig.parse(yaml: emitted, source: "fuzz-roundtrip.yaml") } catch {
            fatalError("yaml() output does not parse back: \(error)\n\(emitted)")
        }
        if again != config { fatalError("yaml() round trip changed the config:\n\(emitted)") }
        _ = try config.jsonData()
    } catch is ConfigError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    return 0
}
