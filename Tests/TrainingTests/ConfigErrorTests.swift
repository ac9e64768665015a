import Foundation
import XCTest
@testable import Training

final class ConfigErrorTests: XCTestCase {
    func testDescriptionReadsLikeACompilerDiagnostic() {
        let e = ConfigError(.unknownKey("kernal", suggestion: "kernel"), file: "config.yaml", line: 12, column: 21,
                            keyPath: "model.layers[3].conv2d", message: "unknown key 'kernal' (did you mean 'kernel'?)")
        XCTAssertEqual(e.description, "config.yaml:12: model.layers[3].conv2d: unknown key 'kernal' (did you mean 'kernel'?)")
        XCTAssertEqual(ConfigError(.limit, file: "big.yaml", message: "too big").description, "big.yaml: too big")
        XCTAssertEqual(ConfigError(.missingKey("model"), file: "c.yaml", line: 1, message: "missing required key 'model'").description,
                       "c.yaml:1: missing required key 'model'")
        XCTAssertEqual(ConfigError(.badOverride, file: "--set a=b", keyPath: "a", message: "bad").description, "--set a=b: a: bad")
        XCTAssertFalse(e.description.contains("\n"))
    }

    func testColumnIsKept() throws {
        let text = "model: {input: [1], layers: [{linear: 2}]}\ndata: {train: {csv: a.csv}}\ntraining: {epochs: 1, lr: 3}\n"
        do {
            _ = try RunConfig.parse(yaml: text, source: "c.yaml")
            XCTFail("expected an error")
        } catch let e as ConfigError {
            XCTAssertEqual(e.kind, .unknownKey("lr", suggestion: nil))
            XCTAssertEqual(e.line, 3)
            XCTAssertEqual(e.column, 23)
            XCTAssertEqual(e.file, "c.yaml")
            XCTAssertEqual(e.keyPath, "training")
        }
    }

    func testSuggestions() {
        XCTAssertEqual(ConfigError.closest(to: "kernal", in: ["out", "kernel", "stride"]), "kernel")
        XCTAssertEqual(ConfigError.closest(to: "lrr", in: ["lr", "betas"]), "lr")
        XCTAssertEqual(ConfigError.closest(to: "batchsize", in: ["batch_size", "shuffle"]), "batch_size")
        XCTAssertEqual(ConfigError.closest(to: "Epochs", in: ["epochs", "max_steps"]), "epochs", "case-insensitive")
        XCTAssertEqual(ConfigError.closest(to: "eposh", in: ["epochs"]), "epochs", "a transposition is one edit")
        XCTAssertNil(ConfigError.closest(to: "colour", in: ["model", "data", "seed"]))
        XCTAssertNil(ConfigError.closest(to: "p", in: ["lr"]), "short words need a close match")
        XCTAssertNil(ConfigError.closest(to: "lr", in: ["lr"]), "an exact match is not a typo")
        XCTAssertEqual(ConfigError.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(ConfigError.editDistance("", "abc"), 3)
    }

    func testDecodingErrorsFromJSONDecoderAreReworded() throws {
        let json = Data(#"{"model": {"input": [1], "layers": ["relu"]}, "training": {"epochs": 1}}"#.utf8)
        do {
            _ = try JSONDecoder().decode(RunConfig.self, from: json)
            XCTFail("expected an error")
        } catch let e as DecodingError {
            let c = ConfigError(e, root: nil, usage: nil, source: "trainer_state.json")
            XCTAssertEqual(c.description, "trainer_state.json: missing required key 'data'")
            XCTAssertEqual(c.kind, .missingKey("data"))
        }
    }

    func testLoadErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        func loadError(_ path: String, limits: ConfigLimits = .default) -> ConfigError? {
            do { _ = try RunConfig.load(path: path, limits: limits) } catch let e as ConfigError { return e } catch {
                XCTFail("unexpected \(error)")
            }
            return nil
        }
        let missing = dir.appendingPathComponent("nope.yaml").path
        XCTAssertEqual(loadError(missing)?.description, "\(missing): no such file")
        XCTAssertEqual(loadError(dir.path)?.kind, .unreadable)

        let binary = dir.appendingPathComponent("bin.yaml")
        try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: binary)
        XCTAssertEqual(loadError(binary.path)?.kind, .syntax)

        let big = dir.appendingPathComponent("big.yaml")
        try Data(repeating: UInt8(ascii: "#"), count: 2048).write(to: big)
        let e = loadError(big.path, limits: ConfigLimits(maxBytes: 1024))
        XCTAssertEqual(e?.kind, .limit)
        XCTAssertEqual(e?.file, big.path)

        let typo = dir.appendingPathComponent("typo.yaml")
        try "model: {input: [2], layers: [{linear: 2}]}\ndata: {train: {csv: t.csv}}\ntraining: {epochs: 1}\nchekpoint: {}\n"
            .write(to: typo, atomically: true, encoding: .utf8)
        XCTAssertEqual(loadError(typo.path)?.description, "\(typo.path):4: unknown key 'chekpoint' (did you mean 'checkpoint'?)")
    }

    func testOverrideParsing() throws {
        let o = try ConfigOverride("model.layers[6].linear.out=5")
        XCTAssertEqual(o.keyPath, "model.layers[6].linear.out")
        XCTAssertEqual(o.value, "5")
        XCTAssertEqual(try ConfigOverride("data.train.image_folder=a=b").value, "a=b", "the first '=' splits")
        XCTAssertEqual(try ConfigOverride(" optimizer.lr =0.1").keyPath, "optimizer.lr")
        XCTAssertThrowsError(try ConfigOverride("no-equals")) { error in
            XCTAssertEqual((error as? ConfigError)?.description, "--set no-equals: expected key.path=value")
        }
    }

    func testKindsCompare() {
        XCTAssertEqual(ConfigError.Kind.typeMismatch(expected: "an integer"), .typeMismatch(expected: "an integer"))
        XCTAssertNotEqual(ConfigError.Kind.unknownKey("a", suggestion: nil), .unknownKey("a", suggestion: "b"))
    }
}
