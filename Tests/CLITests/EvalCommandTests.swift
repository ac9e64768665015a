import Foundation
import XCTest

/// `cairn train` → `finetune` → `eval` / `export` / `predict`, end to end on tiny generated shapes.
final class EvalCommandTests: XCTestCase {
    private func ok(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIRunner.Result {
        let r = try CLIRunner.run(args, file: file, line: line)
        XCTAssertEqual(r.status, 0, "cairn \(args.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        return r
    }

    func testEvalScoresAFolderOfOnlyNewClassesAndRejectsAnUnknownClass() throws {
        let d = try CLIRunner.temporaryDirectory(self).path
        _ = try ok(["data", "shapes", "\(d)/base", "--per-class", "4", "--size", "8"])
        _ = try ok(["data", "shapes", "\(d)/new", "--classes", "circle,square,triangle,cross,ring", "--per-class", "3",
                    "--size", "8", "--seed", "1"])
        _ = try ok(["data", "shapes", "\(d)/only-new", "--classes", "ring,cross", "--per-class", "2", "--size", "8", "--seed", "2"])
        _ = try ok(["data", "shapes", "\(d)/unknown", "--classes", "circle,star", "--per-class", "1", "--size", "8"])
        let model = """
        model:
          input: [1, 8, 8]
          layers: [{conv2d: {out: 2, kernel: 3, padding: 1}}, relu, flatten, {linear: {out: 3}}]
        optimizer: {name: adam, lr: 0.01}
        checkpoint: {every_n_steps: 2}
        """
        try (model + "\ndata: {train: {image_folder: \(d)/base}, batch_size: 4, prefetch: 0}\ntraining: {max_steps: 2}\n")
            .write(toFile: "\(d)/base.yaml", atomically: true, encoding: .utf8)
        try (model + """

        data: {train: {image_folder: \(d)/new}, batch_size: 4, prefetch: 0}
        training: {max_steps: 2}
        finetune:
          from: \(d)/base-run/checkpoints/latest
          head: {layer: 3, classes: 5, keep_old_rows: true}
          freeze: ["0.*"]
        """).write(toFile: "\(d)/ft.yaml", atomically: true, encoding: .utf8)
        _ = try ok(["train", "\(d)/base.yaml", "--run-dir", "\(d)/base-run", "--quiet"])
        let ft = try ok(["finetune", "\(d)/ft.yaml", "--run-dir", "\(d)/ft-run", "--quiet"])
        XCTAssertTrue(ft.stdout.contains("frozen: 0.weight, 0.bias"), ft.stdout)

        let ckpt = "\(d)/ft-run/checkpoints/latest"
        let e = try ok(["eval", ckpt, "--data", "\(d)/only-new", "--json"]).json()
        XCTAssertEqual(e["count"] as? Int, 4)
        XCTAssertEqual(Set((e["per_class_accuracy"] as? [String: Any] ?? [:]).keys), ["cross", "ring"])

        let bad = try CLIRunner.run(["eval", ckpt, "--data", "\(d)/unknown"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("'star'"), bad.stderr)

        _ = try ok(["export", ckpt, "\(d)/model.safetensors"])
        let e2 = try ok(["eval", "\(d)/model.safetensors", "--data", "\(d)/only-new", "--json"]).json()
        XCTAssertEqual(e2["loss"] as? Double, e["loss"] as? Double, "the exported file alone gives the same loss")

        let img = "\(d)/only-new/ring/" + (try FileManager.default.contentsOfDirectory(atPath: "\(d)/only-new/ring").sorted()[0])
        let p = try ok(["predict", "\(d)/model.safetensors", img, "--json"])
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(rows.count, 1)
        let probs = try XCTUnwrap(rows[0]["probabilities"] as? [String: Double])
        XCTAssertEqual(Set(probs.keys), ["circle", "square", "triangle", "cross", "ring"])
        XCTAssertEqual(probs.values.reduce(0, +), 1, accuracy: 1e-5)
    }
}
