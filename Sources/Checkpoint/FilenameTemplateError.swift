/// Why a checkpoint filename template could not be parsed or rendered; every case names the template.
public enum FilenameTemplateError: Error, Equatable, CustomStringConvertible {
    /// A `{` without its `}` (or a lone `}`) at a character offset.
    case unbalancedBrace(template: String, offset: Int)
    /// `{}` or `{:spec}`: a field needs a name.
    case emptyFieldName(template: String, offset: Int)
    /// A format spec outside `[0][width][.precision][d|f|e|s]`, or one that does not fit the field.
    case invalidFormatSpec(template: String, field: String, spec: String, reason: String)
    /// The field is neither `epoch`, `step`, `global_step` nor a metric of this save.
    case unknownField(template: String, field: String, available: [String])
    /// The rendered name is not a safe single path component.
    case unsafeName(template: String, rendered: String, reason: String)
    /// The rendered name already exists and the collision policy is `.fail`.
    case collision(template: String, name: String)

    /// A one-line, human-readable message.

    /// A one-line, human-readable message.
    public var description: String {
        switch self {
        case let .unbalancedBrace(t, o):
            return "filename template '\(t)': unbalanced brace at offset \(o) (write '{{' or '}}' for a literal brace)"
        case let .emptyFieldName(t, o):
            return "filename template '\(t)': empty field name at offset \(o)"
        case let .invalidFormatSpec(t, f, s, r):
            return "filename template '\(t)': field '\(f)' has invalid format spec '\(s)': \(r)"
        case let .unknownField(t, f, a):
            return "filename template '\(t)': unknown field '\(f)' (available: \(a.joined(separator: ", ")))"
        case let .unsafeName(t, n, r):
            return "filename template '\(t)': rendered name '\(n)' is not a safe directory name: \(r)"
        case let .collision(t, n):
            return "filename template '\(t)': checkpoint '\(n)' already exists (collision policy is .fail)"
        }
    }
}
