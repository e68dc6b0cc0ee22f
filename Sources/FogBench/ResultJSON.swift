/// A JSON value with keys in the order written, for the one-line `RESULT {...}` a scenario
/// prints last: scripts parse it, people read it, so field order follows the table.
public indirect enum ResultJSON: Sendable, CustomStringConvertible {
    case integer(Int)
    /// A number rounded to `decimals` places.
    case number(Double, decimals: Int)
    case string(String)
    case bool(Bool)
    case null
    case object([(String, ResultJSON)])
    case array([ResultJSON])

    /// `.number`, or `.null` for nil or a non-finite value (which JSON cannot carry).
    static func number(_ value: Double?, _ decimals: Int) -> ResultJSON {
        guard let value, value.isFinite else { return .null }
        return .number(value, decimals: decimals)
    }

    public var description: String {
        switch self {
        case .integer(let value):
            return String(value)
        case .number(let value, let decimals):
            return format(value, decimals)
        case .string(let value):
            return Self.quoted(value)
        case .bool(let value):
            return value ? "true" : "false"
        case .null:
            return "null"
        case .object(let fields):
            return "{" + fields.map { Self.quoted($0.0) + ":" + $0.1.description }.joined(separator: ",") + "}"
        case .array(let values):
            return "[" + values.map(\.description).joined(separator: ",") + "]"
        }
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// `value` with `decimals` places, without a locale ("1234.5", never "1,234.5").
func format(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
    var scale = 1.0
    for _ in 0..<max(0, decimals) {
        scale *= 10
    }
    let scaled = (abs(value) * scale).rounded()
    let sign = value < 0 && scaled != 0 ? "-" : ""
    guard scaled < 9.0e18 else { return sign + String(abs(value)) }
    let whole = UInt64(scaled)
    let factor = UInt64(scale)
    let integerPart = String(whole / factor)
    guard decimals > 0 else { return sign + integerPart }
    let fraction = String(whole % factor)
    return sign + integerPart + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
}
