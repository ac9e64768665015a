import Foundation
import XCTest

/// Saving onto a full disk: a clear error, no temporary files left, and the previous checkpoint
/// still `latest` and verifying. Uses a small tmpfs when this process may mount one (root with
/// CAP_SYS_ADMIN), and otherwise a file-size limit (`prlimit --fsize`) that makes the same writes
/// fail with EFBIG, as an injected I/O error.
final class DiskFullTests: XCTestCase {
    /// Two steps fit; the third step's checkpoint cannot be written.
    func config(data: URL) -> String {
        """
        seed: 1
        model:
          input: [1, 16, 16]
          layers: [flatten, {linear: {out: 384}}, relu, {linear: {out: 3}}]
        data: {train: {image_folder: \(data.path)}, batch_size: 4, shuffle: true, prefetch: 0}
        optimizer: {name: adam, lr: 0.01}
        training: {max_steps: 4, log_every_n_steps: 1}
        checkpoint: {every_n_steps: 2, keep_last: 3}
        """
    }

    func run(_ args: [String], prefix: [String]) throws -> CLIRunner.Result {
        guard !prefix.isEmpty else { return try CLIRunner.run(args) }
        return try CLIRunner.process(URL(fileURLWithPath: prefix[0]),
                                     Array(prefix.dropFirst()) + [try CLIRunner.executable().path] + args).result
    }

    func testSaveOntoAFullDiskFailsCleanlyAndKeepsTheLastCheckpoint() throws {
        let tmp = try CLIRunner.temporaryDirectory(self)
        let data = tmp.appendingPathComponent("data")
        XCTAssertEqual(try CLIRunner.run(["data", "shapes", data.path, "--per-class", "4", "--size", "16", "--seed", "1"]).status, 0)
        let yaml = tmp.appendingPathComponent("run.yaml")
        try Data(config(data: data).utf8).write(to: yaml)

        // One checkpoint is ~1.2 MB (weights + Adam moments): a 2 MB tmpfs holds one, not two.
        let mount = tmp.appendingPathComponent("small-disk")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        let mounted = (try? Self.shell("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mount.path])) == 0
        defer { if mounted { _ = try? Self.shell("/bin/umount", [mount.path]) } }
        let runDir = mount.appendingPathComponent("run")
        var prefix: [String] = []
        if !mounted {
            guard FileManager.default.fileExists(atPath: "/usr/bin/prlimit") else { throw XCTSkip("neither mount nor prlimit") }
            prefix = ["/usr/bin/prlimit", "--fsize=600000"]  // model.safetensors fits, optimizer.safetensors does not
        }
        // Step 2's checkpoint is written without limits; the resume to step 4 must fail to save.
        let first = try run(["train", yaml.path, "--run-dir", runDir.path, "--quiet", "--set", "training.max_steps=2"], prefix: [])
        XCTAssertEqual(first.status, 0, first.stderr)
        let ckpts = runDir.appendingPathComponent("checkpoints")
        let before = try FileManager.default.contentsOfDirectory(atPath: ckpts.path).sorted()
        XCTAssertEqual(before.count, 1, "\(before)")

        let second = try run(["resume", runDir.path, "--quiet", "--set", "training.max_steps=4"], prefix: prefix)
        XCTAssertEqual(second.status, 1, second.stdout + second.stderr)
        let message = second.stderr
        XCTAssertTrue(message.contains(mounted ? "No space left on device" : "File too large"), message)
        XCTAssertTrue(message.contains(ckpts.path), "the message names the file: \(message)")
        XCTAssertFalse(message.contains("Fatal error"), message)

        let after = try FileManager.default.contentsOfDirectory(atPath: ckpts.path).sorted()
        XCTAssertEqual(after, before, "no temporary or partial checkpoint is left behind")
        let verify = try CLIRunner.run(["verify", ckpts.path + "/latest"])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
        let inspect = try CLIRunner.run(["inspect", ckpts.path + "/latest", "--json"])
        XCTAssertTrue(inspect.stdout.contains("\"global_step\" : 2"), inspect.stdout)
    }

    static func shell(_ tool: String, _ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}
