/// Bytes a byte-counting relay saw on one connection while a number of readings were
/// delivered end to end, counted after the connection went quiet (so delayed
/// acknowledgements are in).
struct WireBytes: Sendable {
    /// Readings that arrived at the subscriber while counting.
    var readings: Int
    /// Client → broker bytes (e.g. link half A → ComSat).
    var up: Int
    /// Broker → client bytes.
    var down: Int

    var total: Int { up + down }

    /// Both directions per delivered reading; nan without readings.
    var perReading: Double { readings > 0 ? Double(total) / Double(readings) : .nan }
    var upPerReading: Double { readings > 0 ? Double(up) / Double(readings) : .nan }
    var downPerReading: Double { readings > 0 ? Double(down) / Double(readings) : .nan }
}
