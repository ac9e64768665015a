import TensorCore
import NN
import Optimizers

/// An SGD optimizer over one parameter, for scheduler tests.
func schedulerTestOptimizer(lr: Double = 0.1, momentum: Double = 0) -> SGD {
    SGD([("p", Parameter(Tensor([1, 2])))], lr: lr, momentum: momentum)
}

/// The learning rate of group 0 after each of `steps` scheduler steps.
func lrSequence(_ scheduler: LRScheduler, steps: Int) -> [Double] {
    (0..<steps).map { _ in scheduler.step(); return scheduler.optimizer.paramGroups[0].lr }
}
