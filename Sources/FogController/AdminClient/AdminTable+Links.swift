internal import Foundation

/// `fogctl` tables for microservices, routes, links and removals.
extension AdminTable {
    public static func microservices(_ microservices: [MicroserviceSummary]) -> String {
        render(
            header: ["AGENT", "NAME", "EXECUTABLE", "ARGS", "ENV", "STATE", "RESTARTS"],
            rows: microservices.map { service in
                [
                    service.agent, service.name, service.executable, service.arguments.map(shellQuoted).joined(separator: " "),
                    service.environment.keys.sorted().joined(separator: ","), service.state ?? "-",
                    service.restarts.map { "\($0)" } ?? "-",
                ]
            })
    }

    public static func routes(_ routes: [RouteSummary]) -> String {
        render(
            header: ["SOURCE", "TARGET", "LINK", "CHANNEL"],
            rows: routes.map { [$0.source, $0.target, $0.linkID, "\($0.channel)"] })
    }

    public static func links(_ links: [LinkSummary]) -> String {
        render(
            header: ["ID", "COMSAT", "STATE", "ROUTES", "HALF A", "HALF B"],
            rows: links.map { link in
                let halves = link.halves.map { half in
                    var text = "\(half.agent) (\(half.granted ? "granted" : "waiting")"
                    if let state = half.reportedState { text += ", \(state)" }
                    if let messages = half.queuedMessages { text += ", queue \(messages)" }
                    return text + ")"
                }
                return [
                    link.id, link.comsat ?? link.comsatID, link.state, "\(link.routeCount)", halves.first ?? "-",
                    halves.dropFirst().first ?? "-",
                ]
            })
    }

    /// What `fogctl route add` prints.
    public static func routeAdded(_ result: RouteAddResult) -> String {
        var text = "route \(result.route.source) -> \(result.route.target) on channel \(result.route.channel) of link \(result.link.id)"
        text += result.linkCreated
            ? " (new link on ComSat \(result.link.comsat ?? result.link.comsatID); pending until both halves report)\n"
            : " (existing link, \(result.link.routeCount) routes)\n"
        return text
    }

    /// What the `rm` commands print: what went, and any warning.
    public static func removal(_ result: LinkDecommission) -> String {
        var text = "removed \(result.removed)"
        if !result.linksRemoved.isEmpty { text += "; links removed: \(result.linksRemoved.joined(separator: ", "))" }
        if result.grantsRevoked > 0 { text += "; grants revoked: \(result.grantsRevoked)" }
        if result.halvesWiped > 0 { text += "; halves told to wipe: \(result.halvesWiped)" }
        if result.halvesUpdated > 0 { text += "; halves given new routes: \(result.halvesUpdated)" }
        text += "\n"
        for warning in result.warnings { text += "warning: \(warning)\n" }
        return text
    }
}
