import Foundation

/// The JSON conventions of checkpoint files: pretty, sorted keys, ISO 8601 dates, non-finite
/// numbers as `"nan"` / `"inf"` / `"-inf"`, and decoding errors that name the file and key path.
enum JSONFiles {
    /// The encoder for every checkpoint JSON file.
    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.dateEncodingStrategy = .iso8601
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    /// The matching decoder.
    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// Encodes `value` as the bytes of a checkpoint JSON file (with a trailing newline).
    static func encode<T: Encodable>(_ value: T, file: String) throws -> [UInt8] {
        do { return Array(try encoder.encode(value)) + [0x0A] } catch {
            throw CheckpointError.badJSON(file: file, key: "", reason: "cannot encode: \(error)")
        }
    }

    /// Decodes `data`; a failure becomes `CheckpointError.badJSON` naming `file` and the key path.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws -> T {
        do { return try decoder.decode(T.self, from: data) } catch let e as DecodingError {
            let (key, reason) = describe(e)
            throw CheckpointError.badJSON(file: file, key: key, reason: reason)
        } catch {
            throw CheckpointError.badJSON(file: file, key: "", reason: "\(error)")
        }
    }

    /// A key path such as `param_groups[0].options` and a reason for a decoding error.
    static func describe(_ error: DecodingError) -> (path: String, reason: String) {
        func render(_ path: [CodingKey]) -> String {
            var out = ""
            for k in path {
                if let i = k.intValue, k.stringValue.hasPrefix("Index") || k.stringValue == "\(i)" {
                    out += "[\(i)]"
                } else {
                    out += out.isEmpty ? k.stringValue : ".\(k.stringValue)"
                }
            }
            return out
        }
        switch error {
        case let .keyNotFound(key, ctx): return (render(ctx.codingPath + [key]), "required key is missing")
        case let .typeMismatch(type, ctx): return (render(ctx.codingPath), "expected \(type)")
        case let .valueNotFound(type, ctx): return (render(ctx.codingPath), "expected \(type), found null")
        case let .dataCorrupted(ctx):
            let under = (ctx.underlyingError as NSError?).map { " (\($0.localizedDescription))" } ?? ""
            return (render(ctx.codingPath), ctx.debugDescription + under)
        @unknown default: return ("", "\(error)")
        }
    }
}
