import Foundation

/// Background threads that assemble the batches of one epoch ahead of the consumer.
///
/// At most `depth` batches past the one being consumed are built or held at any time (bounded
/// memory); workers claim batch indices in increasing order and results are handed out strictly
/// by index, so the output is the same as building the batches one by one on the caller's thread.
final class Prefetcher: @unchecked Sendable {
    let assembler: BatchAssembler
    let plan: EpochPlan
    let depth: Int
    private let condition = NSCondition()
    /// Next batch index a worker will claim.
    private var nextToClaim: Int
    /// The batch index the consumer needs next.
    private var consumed: Int
    private var results: [Int: Result<Batch, Error>] = [:]
    private var cancelled = false
    private var running = 0

    /// Starts `workers` threads building batches `start...` of `plan`, at most `depth` ahead.
    init(assembler: BatchAssembler, plan: EpochPlan, start: Int, depth: Int, workers: Int) {
        precondition(depth >= 1 && workers >= 1, "Prefetcher: depth \(depth), workers \(workers) must be positive")
        self.assembler = assembler
        self.plan = plan
        self.depth = depth
        nextToClaim = start
        consumed = start
        running = workers
        for w in 0..<workers {
            let thread = Thread { [self] in self.work() }
            thread.name = "cairn.data.prefetch.\(w)"
            thread.start()
        }
    }

    /// The batch index the consumer will ask for next.
    var nextIndex: Int {
        condition.lock()
        defer { condition.unlock() }
        return consumed
    }

    private func work() {
        condition.lock()
        while true {
            while !cancelled && nextToClaim < plan.batchCount && nextToClaim >= consumed + depth {
                condition.wait()
            }
            if cancelled || nextToClaim >= plan.batchCount { break }
            let b = nextToClaim
            nextToClaim += 1
            condition.unlock()
            let result = Result { try assembler.assemble(plan, batch: b) }
            condition.lock()
            results[b] = result
            condition.broadcast()
        }
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for batch `b` (which must be the next one) and returns it, or throws its error.
    func take(_ b: Int) throws -> Batch {
        condition.lock()
        defer { condition.unlock() }
        precondition(b == consumed, "Prefetcher.take: asked for batch \(b), expected \(consumed)")
        while results[b] == nil { condition.wait() }
        let result = results.removeValue(forKey: b)!
        consumed = b + 1
        condition.broadcast()
        return try result.get()
    }

    /// Stops the workers and waits until they have all exited (a batch in progress is finished first).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        results.removeAll()
        condition.unlock()
    }
}
