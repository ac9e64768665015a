import Foundation
import TensorCore

/// Interleaved 2-D spirals, one arm per class: a small dataset that needs a non-linear model.
struct SpiralData {
    /// Points [n, 2].
    let x: Tensor
    /// Class indices [n] (int64).
    let y: Tensor
    /// Number of classes.
    let classes: Int

    /// Draws `perClass` noisy points for each of `classes` arms.
    init(classes: Int, perClass: Int, noise: Float, rng: inout RandomGenerator) {
        var pts: [Float] = []
        var labels: [Int] = []
        for c in 0..<classes {
            for i in 0..<perClass {
                let r = Float(i) / Float(perClass)
                let t = Float(c) * 4 + r * 4 + rng.nextNormal() * noise
                pts += [r * sin(t), r * cos(t)]
                labels.append(c)
            }
        }
        x = Tensor(pts, shape: [classes * perClass, 2])
        y = Tensor(indices: labels)
        self.classes = classes
    }

    /// Number of points.
    var count: Int { x.shape[0] }
}
