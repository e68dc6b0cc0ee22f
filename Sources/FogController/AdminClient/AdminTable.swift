internal import Foundation

/// `fogctl`'s human output: aligned text tables and key/value blocks.
public enum AdminTable {
    /// Columns padded to their widest cell, two spaces apart, header first.
    public static func render(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                let isLast = index == cells.count - 1
                text += isLast ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }
            return text + "\n"
        }
        return ([header] + rows).map(line).joined()
    }

    public static func comsats(_ comsats: [ComSatSummary]) -> String {
        render(
            header: ["NAME", "ID", "URL", "KEY", "HEALTH", "CONNECTED", "GRANTS"],
            rows: comsats.map { comsat in
                [
                    comsat.name, comsat.id, comsat.url, comsat.responseKey == nil ? "not pinned" : "pinned", comsat.health,
                    comsat.connected ? "yes" : "no", comsat.grantCount.map { "\($0)" } ?? "-",
                ]
            })
    }

    public static func status(_ status: ControllerStatus) -> String {
        let counts = status.comsats
        return render(
            header: ["FIELD", "VALUE"],
            rows: [
                ["controller id", status.controllerID],
                ["version", status.version],
                ["started", ISO8601DateFormatter().string(from: status.startedAt)],
                ["signing public key", status.signingPublicKey],
                ["agreement public key", status.agreementPublicKey],
                [
                    "comsats",
                    "\(counts.total) total, \(counts.connected) connected, \(counts.healthy) healthy, "
                        + "\(counts.unreachable) unreachable, \(counts.unknown) unknown",
                ],
            ])
    }
}
