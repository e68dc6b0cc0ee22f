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

    public static func agents(_ agents: [AgentSummary]) -> String {
        render(
            header: ["NAME", "ID", "COMSAT", "PRESENCE", "CREATED"],
            rows: agents.map { agent in
                [
                    agent.name, agent.id, agent.comsat ?? agent.comsatID, agent.presence,
                    ISO8601DateFormatter().string(from: agent.created),
                ]
            })
    }

    /// What `fogctl agent add` prints: the key, its expiry and the command for the edge node.
    public static func provisioningKey(_ result: AgentProvisioningResult) -> String {
        var text = "provisioning key for agent '\(result.name)' on ComSat '\(result.comsat.name)' "
        text += "(single use, expires \(ISO8601DateFormatter().string(from: result.expiresAt))):\n"
        text += result.token + "\n\nrun on the edge node"
        if result.comsat.caFile != nil { text += " (with a copy of the ComSat's CA file)" }
        text += ":\n" + provisionCommand(result).map(shellQuoted).joined(separator: " ") + "\n"
        return text
    }

    /// The `fog-agent provision` arguments that use `result`'s key on its ComSat.
    public static func provisionCommand(_ result: AgentProvisioningResult) -> [String] {
        var arguments = ["fog-agent", "provision", "--key", result.token, "--comsat", result.comsat.url]
        if let caFile = result.comsat.caFile { arguments += ["--ca", caFile] }
        return arguments
    }

    /// `word` as one POSIX shell word: unchanged when it has no special character.
    static func shellQuoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._/:=@%+,-".unicodeScalars.contains(scalar))
        }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
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
