import XCTest
@testable import Checkpoint

final class FilenameTemplateTests: XCTestCase {
    private func render(_ t: String, epoch: Int = 3, step: Int = 120, _ metrics: [String: Double] = [:]) throws -> String {
        try FilenameTemplate(t).render(epoch: epoch, globalStep: step, metrics: metrics)
    }

    func testDefaultTemplate() throws {
        XCTAssertEqual(FilenameTemplate.default.pattern, "ckpt-{epoch:04d}-{step:06d}")
        XCTAssertEqual(try FilenameTemplate.default.render(epoch: 7, globalStep: 1234), "ckpt-0007-001234")
        XCTAssertEqual(FilenameTemplate.default.fields, ["epoch", "step"])
    }

    func testIntegerFieldsAndAlias() throws {
        XCTAssertEqual(try render("e{epoch}-s{step}-g{global_step}"), "e3-s120-g120")
        XCTAssertEqual(try render("{global_step:08d}", step: 42), "00000042")
        XCTAssertEqual(try render("{epoch:5d}", epoch: 12), "   12")
        XCTAssertEqual(try render("{epoch:02d}", epoch: 123), "123")  // width is a minimum
        XCTAssertEqual(try render("{epoch:05d}", epoch: -3), "-0003")
        XCTAssertEqual(try render("{step:.2f}", step: 3), "3.00")
        XCTAssertEqual(try render("{step:e}", step: 5), "5.000000e+00")
        XCTAssertEqual(try render("{step:s}", step: 77), "77")
        XCTAssertEqual(try render("{step:5s}", step: 77), "77   ")
    }

    func testMetricFormats() throws {
        let m = ["val_loss": 0.123456, "acc": 0.9, "tiny": 0.000123, "neg": -1.5, "big": -12345.678]
        XCTAssertEqual(try render("best-{val_loss:.3f}", m), "best-0.123")
        XCTAssertEqual(try render("{val_loss:f}", m), "0.123456")
        XCTAssertEqual(try render("{tiny:e}", m), "1.230000e-04")
        XCTAssertEqual(try render("{big:.2e}", m), "-1.23e+04")
        XCTAssertEqual(try render("{neg:08.3f}", m), "-001.500")
        XCTAssertEqual(try render("{neg:8.3f}", m), "  -1.500")
        XCTAssertEqual(try render("{acc}", m), "0.9")
        XCTAssertEqual(try render("{tiny}", m), "0.000123")
        XCTAssertEqual(try render("{val_loss:.3}", m), "0.123")
        XCTAssertEqual(try render("{val_loss:.4s}", m), "0.12")
        XCTAssertEqual(try render("ep{epoch:02d}-acc{acc:.2f}-loss{val_loss:.4f}", m), "ep03-acc0.90-loss0.1235")
    }

    func testRoundingMatchesPython() throws {
        // '{:.0f}'.format(2.5) == '2', '{:.0f}'.format(3.5) == '4' (exact binary values, round-half-even).
        XCTAssertEqual(try render("{x:.0f}", ["x": 2.5]), "2")
        XCTAssertEqual(try render("{x:.0f}", ["x": 3.5]), "4")
        XCTAssertEqual(try render("{x:.2f}", ["x": -0.001]), "-0.00")
    }

    func testNonFiniteMetrics() throws {
        XCTAssertEqual(try render("{x:.3f}", ["x": .nan]), "nan")
        XCTAssertEqual(try render("{x:.3f}", ["x": -.infinity]), "-inf")
        XCTAssertEqual(try render("{x:e}", ["x": .infinity]), "inf")
        XCTAssertEqual(try render("{x:08.3f}", ["x": .nan]), "00000nan")  // what Python prints
    }

    func testMetricNamesWithPunctuation() throws {
        XCTAssertEqual(try render("{val/loss:.2f}", ["val/loss": 1.0]), "1.00")
        XCTAssertEqual(try FilenameTemplate("{val/loss:.2f}").fields, ["val/loss"])
    }

    func testLiteralBraces() throws {
        XCTAssertEqual(try render("a{{b}}-{epoch}"), "a{b}-3")
    }

    func testUnknownFieldNamesIt() {
        XCTAssertThrowsError(try render("ckpt-{val_los:.3f}", ["val_loss": 1])) { error in
            guard case let FilenameTemplateError.unknownField(template, field, available) = error else {
                return XCTFail("wrong error \(error)")
            }
            XCTAssertEqual(template, "ckpt-{val_los:.3f}")
            XCTAssertEqual(field, "val_los")
            XCTAssertEqual(available, ["epoch", "step", "global_step", "val_loss"])
            XCTAssertTrue("\(error)".contains("'val_los'"))
        }
    }

    func testParseErrors() {
        func assertParse(_ t: String, _ check: (FilenameTemplateError) -> Bool, line: UInt = #line) {
            XCTAssertThrowsError(try FilenameTemplate(t), line: line) { e in
                guard let e = e as? FilenameTemplateError else { return XCTFail("not typed: \(e)", line: line) }
                XCTAssertTrue(check(e), "unexpected \(e)", line: line)
                XCTAssertTrue(e.description.contains(t), "message must name the template", line: line)
            }
        }
        assertParse("ckpt-{epoch") { if case .unbalancedBrace(_, 5) = $0 { return true }; return false }
        assertParse("ckpt-}x") { if case .unbalancedBrace(_, 5) = $0 { return true }; return false }
        assertParse("a{b{c}}") { if case .unbalancedBrace = $0 { return true }; return false }
        assertParse("x{}") { if case .emptyFieldName(_, 1) = $0 { return true }; return false }
        assertParse("x{:04d}") { if case .emptyFieldName = $0 { return true }; return false }
        assertParse("{epoch:04x}") { if case let .invalidFormatSpec(_, f, s, _) = $0 { return f == "epoch" && s == "04x" }; return false }
        assertParse("{val_loss:d}") { if case let .invalidFormatSpec(_, f, _, _) = $0 { return f == "val_loss" }; return false }
        assertParse("{epoch:.2d}") { if case .invalidFormatSpec = $0 { return true }; return false }
        assertParse("{epoch:.3}") { if case .invalidFormatSpec = $0 { return true }; return false }
        assertParse("{loss:.f}") { if case .invalidFormatSpec = $0 { return true }; return false }
        assertParse("{loss:<5f}") { if case .invalidFormatSpec = $0 { return true }; return false }
        assertParse("{loss:.3ff}") { if case .invalidFormatSpec = $0 { return true }; return false }
        assertParse("{loss:9999f}") { if case .invalidFormatSpec = $0 { return true }; return false }
    }

    func testUnsafeRenderedNames() {
        func assertUnsafe(_ t: String, _ metrics: [String: Double] = [:], line: UInt = #line) {
            XCTAssertThrowsError(try render(t, metrics), line: line) { e in
                guard case .unsafeName = e as? FilenameTemplateError else { return XCTFail("\(e)", line: line) }
            }
        }
        assertUnsafe("")
        assertUnsafe("..")
        assertUnsafe(".")
        assertUnsafe("a/{epoch}")
        assertUnsafe("../{epoch}")
        assertUnsafe("a\\b")
        assertUnsafe(".hidden-{epoch}")
        assertUnsafe(".tmp-{epoch}")
        assertUnsafe(".trash-{epoch}")
        assertUnsafe(String(repeating: "x", count: 256))
        assertUnsafe("a\u{0}b")
        // A leading minus from a metric is harmless; only the listed cases are rejected.
        XCTAssertEqual(try render("{x:.1f}", ["x": -0.5]), "-0.5")
        XCTAssertNil(FilenameTemplate.unsafeReason("ckpt-0001-000010"))
        XCTAssertNotNil(FilenameTemplate.unsafeReason("checkpoints/x"))
    }

    func testCollisionSuffix() throws {
        let t = FilenameTemplate.default
        XCTAssertEqual(try t.uniqueName("a", existing: [], policy: .suffix), "a")
        XCTAssertEqual(try t.uniqueName("a", existing: ["a"], policy: .suffix), "a-1")
        XCTAssertEqual(try t.uniqueName("a", existing: ["a", "a-1", "a-2"], policy: .suffix), "a-3")
        XCTAssertEqual(try t.uniqueName("a", existing: ["a", "a-2"], policy: .suffix), "a-1")
    }

    func testCollisionFail() {
        XCTAssertThrowsError(try FilenameTemplate.default.uniqueName("a", existing: ["a"], policy: .fail)) { e in
            guard case let .collision(_, name) = e as? FilenameTemplateError else { return XCTFail("\(e)") }
            XCTAssertEqual(name, "a")
        }
        XCTAssertEqual(try FilenameTemplate.default.uniqueName("b", existing: ["a"], policy: .fail), "b")
    }
}
