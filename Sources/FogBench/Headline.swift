/// One figure a buyer asks for, as it goes into a scenario's RESULT line under
/// `"headline"`: `tools/bench` builds its summary table and chart from these alone.
///
/// The ratio is always value over baseline value, both measured in the same run, so a
/// reader never has to know whether higher is better to recompute it.
public struct Headline: Sendable {
    public var metric: String
    public var value: Double?
    public var unit: String
    /// What the value is compared with (e.g. "bare Mosquitto"); nil when nothing is.
    public var baseline: String?
    public var baselineValue: Double?
    /// Decimals of value and baseline value in the JSON.
    public var decimals: Int

    public init(
        _ metric: String, value: Double?, unit: String, baseline: String? = nil, baselineValue: Double? = nil,
        decimals: Int = 1
    ) {
        self.metric = metric
        self.value = value
        self.unit = unit
        self.baseline = baseline
        self.baselineValue = baselineValue
        self.decimals = decimals
    }

    public var ratio: Double? {
        guard let value, let baselineValue, baselineValue != 0 else { return nil }
        return value / baselineValue
    }

    var json: ResultJSON {
        .object([
            ("metric", .string(metric)),
            ("value", .number(value, decimals)),
            ("unit", .string(unit)),
            ("baseline", baseline.map(ResultJSON.string) ?? .null),
            ("baselineValue", .number(baseline == nil ? nil : baselineValue, decimals)),
            ("ratio", .number(baseline == nil ? nil : ratio, 4)),
        ])
    }

    /// The `"headline"` field of a RESULT object.
    static func field(_ headlines: [Headline]) -> (String, ResultJSON) {
        ("headline", .array(headlines.map(\.json)))
    }
}
