import XCTest
@testable import Data

final class BilinearTests: XCTestCase {
    /// A 3×4 image of byte values / 255.
    let source: [Float] = [0, 50, 100, 150, 200, 250, 25, 75, 125, 175, 225, 255].map { Float($0) / 255 }

    func resize(_ src: [Float], _ h: Int, _ w: Int, to oh: Int, _ ow: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: oh * ow)
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                Bilinear.resize(s.baseAddress!, channels: 1, inHeight: h, inWidth: w, into: o.baseAddress!, outHeight: oh, outWidth: ow)
            }
        }
        return out
    }

    func testUpscaleMatchesPyTorchInterpolate() {
        // torch.nn.functional.interpolate(x, size=(5, 6), mode="bilinear", align_corners=False), PyTorch 2.13.
        let expected: [Float] = [
            0.0, 0.09803921729326248, 0.22875818610191345, 0.35947713255882263, 0.4901961088180542, 0.5882353186607361,
            0.3137255311012268, 0.4117647409439087, 0.47058823704719543, 0.31372547149658203, 0.37254899740219116, 0.47058820724487305,
            0.7843137383460999, 0.8823529481887817, 0.8333332538604736, 0.24509800970554352, 0.19607843458652496, 0.29411765933036804,
            0.6078431010246277, 0.7058823108673096, 0.7647058963775635, 0.6078432202339172, 0.6431373357772827, 0.7176471948623657,
            0.4901960790157318, 0.5882353186607361, 0.7189542651176453, 0.8496732711791992, 0.9411764740943909, 1.0,
        ]
        let out = resize(source, 3, 4, to: 5, 6)
        for (a, b) in zip(out, expected) { XCTAssertEqual(a, b, accuracy: 2e-7) }
    }

    func testDownscaleMatchesPyTorchInterpolate() {
        let expected: [Float] = [0.22875817120075226, 0.3553921580314636, 0.48202621936798096,
                                 0.5964052081108093, 0.7230392098426819, 0.8006536364555359]
        let out = resize(source, 3, 4, to: 2, 3)
        for (a, b) in zip(out, expected) { XCTAssertEqual(a, b, accuracy: 2e-7) }
    }

    func testSameSizeIsAnExactCopy() {
        XCTAssertEqual(resize(source, 3, 4, to: 3, 4), source)
    }

    func testAxisWeightsFollowTheHalfPixelRule() {
        // 4 → 2: scale 2, source positions 0.5 and 2.5.
        let a = Bilinear.Axis(inSize: 4, outSize: 2)
        XCTAssertEqual(a.i0, [0, 2])
        XCTAssertEqual(a.i1, [1, 3])
        XCTAssertEqual(a.w1, [0.5, 0.5])
        // 2 → 4: scale 0.5, positions -0.25 (clamped to 0), 0.25, 0.75, 1.25 (last index clamps).
        let b = Bilinear.Axis(inSize: 2, outSize: 4)
        XCTAssertEqual(b.i0, [0, 0, 0, 1])
        XCTAssertEqual(b.i1, [1, 1, 1, 1])
        XCTAssertEqual(b.w1, [0, 0.25, 0.75, 0.25])
    }
}
