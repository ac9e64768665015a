/// Python's `a // b` and `a % b` for ints (floor division), which the schedulers' formulas use.
enum PyMath {
    /// Floor division.
    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q
    }

    /// Floor modulo (result has the sign of `b`).
    static func mod(_ a: Int, _ b: Int) -> Int {
        let r = a % b
        return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r
    }
}
