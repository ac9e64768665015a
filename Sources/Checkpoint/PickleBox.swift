/// A mutable container of the pickle machine.
final class PickleBox {
    /// What Python type the box is.
    enum Kind: String { case list, tuple, set, dict, orderedDict = "OrderedDict" }

    let kind: Kind
    /// Elements of a list, tuple or set.
    var items: [PickleObject] = []
    /// Keys of a dict, in insertion order (parallel to `values`).
    var keys: [PickleObject] = []
    /// Values of a dict.
    var values: [PickleObject] = []
    /// Position of each key, so a repeated key replaces its value as in Python.
    var keyIndex: [PickleKey: Int] = [:]
    /// Attributes set by BUILD on an OrderedDict (a dict box).
    var attributes: PickleBox?
    /// Nesting depth (1 + deepest child known when it was added).
    var depth = 1
    /// The converted value, once computed.
    var converted: CheckpointValue?
    /// Set while converting, to detect a container that contains itself.
    var converting = false

    init(_ kind: Kind, items: [PickleObject] = []) {
        self.kind = kind
        self.items = items
    }

    var isDict: Bool { kind == .dict || kind == .orderedDict }

    /// Drops every reference the box holds, which breaks any cycle it is part of.
    func clear() {
        items = []
        keys = []
        values = []
        keyIndex = [:]
        attributes = nil
        converted = nil
    }
}
