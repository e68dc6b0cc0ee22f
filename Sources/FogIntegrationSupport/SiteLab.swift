public import FogTestSupport
import Foundation

/// Two edge sites and a cloud, built from network namespaces, for the site-to-site proof.
///
/// ```
///   edge-a host ── lan ── router-a ── wan ──┐
///   192.168.1.2          NAT + firewall      ├── cloud (10.213.0.1: ComSat, controller)
///   edge-b host ── lan ── router-b ── wan ──┘
///   192.168.1.2          NAT + firewall
/// ```
///
/// Both sites use the same private range, as real sites do. Each router masquerades its LAN
/// behind its WAN address and drops every connection that starts on the WAN side; each edge
/// host drops every inbound connection too. Only the cloud has a public address
/// (`cloudAddress`, on its loopback, routed by both routers), so an edge can reach the cloud
/// while nothing can reach an edge. Needs root (CI runs as root); `destroy()` removes every
/// namespace, and `removeStale()` clears those of a run that crashed before it could.
public final class SiteLab: Sendable {
    public enum Site: Sendable, CaseIterable, CustomStringConvertible {
        case cloud, edgeA, edgeB

        public var description: String {
            switch self {
            case .cloud: "cloud"
            case .edgeA: "edge-a"
            case .edgeB: "edge-b"
            }
        }
    }

    /// An edge site, for the operations that act on its uplink.
    public enum Edge: Sendable, CaseIterable {
        case a, b

        public var site: Site { self == .a ? .edgeA : .edgeB }
    }

    /// Namespace names start with this, so stale ones can be recognised.
    public static let namespacePrefix = "fogl"
    /// Where the cloud's services listen, as the edges see it.
    public static let cloudAddress = "10.213.0.1"
    /// Every edge host's address on its site's LAN.
    public static let edgeAddress = "192.168.1.2"

    /// Unique per lab, so concurrent labs and stale leftovers never collide.
    public let tag: String

    private init(tag: String) {
        self.tag = tag
    }

    func namespace(_ site: Site) -> String {
        switch site {
        case .cloud: "\(Self.namespacePrefix)\(tag)-cloud"
        case .edgeA: "\(Self.namespacePrefix)\(tag)-a"
        case .edgeB: "\(Self.namespacePrefix)\(tag)-b"
        }
    }

    func router(_ edge: Edge) -> String {
        "\(Self.namespacePrefix)\(tag)-r\(edge == .a ? "a" : "b")"
    }

    /// The router's WAN address, which the cloud sees as the site's (masqueraded) address.
    public static func wanAddress(_ edge: Edge) -> String { edge == .a ? "10.213.1.2" : "10.213.2.2" }

    /// Builds the namespaces, links, addresses, routes, NAT and firewalls.
    /// - Throws: `TestSupportError` naming the command that failed; nothing is left behind.
    public static func create() async throws -> SiteLab {
        // "<creator pid>p<random>": `removeStale` spares the labs of live test processes.
        let lab = SiteLab(tag: String(getpid(), radix: 16) + "p" + String(UInt16.random(in: 0...0xFFF), radix: 16))
        do {
            try await lab.build()
        } catch {
            await lab.destroy()
            throw error
        }
        return lab
    }

    private func build() async throws {
        let cloud = namespace(.cloud)
        for name in [cloud, router(.a), router(.b), namespace(.edgeA), namespace(.edgeB)] {
            try await Self.ip(["netns", "add", name])
            try await Self.ip(["-n", name, "link", "set", "lo", "up"])
        }
        try await Self.ip(["-n", cloud, "addr", "add", "\(Self.cloudAddress)/32", "dev", "lo"])
        for edge in Edge.allCases {
            let router = router(edge)
            let host = namespace(edge.site)
            let subnet = edge == .a ? 1 : 2
            // veth names are created in the root namespace first, so they carry the tag.
            let cloudSide = "\(tag)c\(subnet)"
            let wanSide = "\(tag)w\(subnet)"
            let lanSide = "\(tag)l\(subnet)"
            let hostSide = "\(tag)h\(subnet)"
            try await Self.ip(["link", "add", cloudSide, "netns", cloud, "type", "veth", "peer", "name", wanSide, "netns", router])
            try await Self.ip(["link", "add", lanSide, "netns", router, "type", "veth", "peer", "name", hostSide, "netns", host])
            try await Self.ip(["-n", cloud, "link", "set", cloudSide, "name", "site\(subnet)"])
            try await Self.ip(["-n", router, "link", "set", wanSide, "name", "wan"])
            try await Self.ip(["-n", router, "link", "set", lanSide, "name", "lan"])
            try await Self.ip(["-n", host, "link", "set", hostSide, "name", "lan"])
            try await Self.ip(["-n", cloud, "addr", "add", "10.213.\(subnet).1/30", "dev", "site\(subnet)"])
            try await Self.ip(["-n", router, "addr", "add", "\(Self.wanAddress(edge))/30", "dev", "wan"])
            try await Self.ip(["-n", router, "addr", "add", "192.168.1.1/24", "dev", "lan"])
            try await Self.ip(["-n", host, "addr", "add", "\(Self.edgeAddress)/24", "dev", "lan"])
            for (namespace, device) in [(cloud, "site\(subnet)"), (router, "wan"), (router, "lan"), (host, "lan")] {
                try await Self.ip(["-n", namespace, "link", "set", device, "up"])
            }
            try await Self.ip(["-n", router, "route", "add", "default", "via", "10.213.\(subnet).1"])
            try await Self.ip(["-n", host, "route", "add", "default", "via", "192.168.1.1"])
            try await Self.exec(in: router, "sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"])
            try await Self.nft(in: router, Self.routerRules)
            try await Self.nft(in: host, Self.hostRules)
        }
    }

    /// Masquerade the LAN; forward only what the LAN started; accept nothing new from the WAN.
    private static let routerRules = """
        table ip nat {
            chain postrouting { type nat hook postrouting priority 100; oifname "wan" masquerade; }
        }
        table inet filter {
            chain forward {
                type filter hook forward priority 0; policy drop;
                ct state established,related accept
                iifname "lan" oifname "wan" accept
            }
            chain input {
                type filter hook input priority 0; policy drop;
                ct state established,related accept
                iifname "lo" accept
                iifname "lan" accept
            }
        }
        """

    /// The edge host accepts no connection it did not start, except on its own loopback.
    private static let hostRules = """
        table inet filter {
            chain input {
                type filter hook input priority 0; policy drop;
                ct state established,related accept
                iifname "lo" accept
            }
        }
        """

    /// Starts programs inside `site`'s namespace (through `ip netns exec`, which execs in
    /// place, so a spawned process is the program itself).
    public func launcher(_ site: Site) -> ProcessLauncher {
        .wrapped(Self.ipPath, ["netns", "exec", namespace(site)])
    }

    /// `executable arguments` run inside `site`'s namespace.
    public func spawn(
        in site: Site, _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        outputFile: String? = nil
    ) throws -> ChildProcess {
        try launcher(site).spawn(executable, arguments, environment: environment, outputFile: outputFile)
    }

    /// Runs a one-shot command inside `site`'s namespace.
    public func run(
        in site: Site, _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> (status: Int32, output: String) {
        try await launcher(site).run(executable, arguments, environment: environment, timeout: timeout)
    }

    /// Whether a TCP connection from `site` to `host:port` is accepted within `timeout`
    /// (refused, dropped and unreachable all read false).
    public func canConnect(from site: Site, to host: String, port: UInt16, timeout: Duration = .seconds(2)) async -> Bool {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let probe = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(\(seconds))
            try:
                s.connect((sys.argv[1], int(sys.argv[2])))
            except OSError:
                sys.exit(1)
            sys.exit(0)
            """
        let result = try? await run(in: site, "/usr/bin/python3", ["-c", probe, host, String(port)], timeout: timeout + .seconds(5))
        return result?.status == 0
    }

    /// Takes an edge's uplink down (the site loses the cloud) or brings it back.
    public func setUplink(_ edge: Edge, up: Bool) async throws {
        try await Self.ip(["-n", router(edge), "link", "set", "wan", up ? "up" : "down"])
        if up {
            // Bringing the device down dropped its default route; restore it.
            let subnet = edge == .a ? 1 : 2
            try await Self.ip(["-n", router(edge), "route", "replace", "default", "via", "10.213.\(subnet).1"])
        }
    }

    /// What `impair` could apply on this kernel.
    public struct Impairment: Sendable, CustomStringConvertible {
        public var lossPercent: Double
        /// nil when the kernel has no netem (loss is then applied by nftables, delay not at all).
        public var delay: Duration?

        public var description: String {
            "\(lossPercent)% loss, " + (delay.map { "\($0) delay" } ?? "no delay (kernel without netem)")
        }
    }

    /// Adds loss (and delay, where the kernel has netem) to an edge's uplink in both
    /// directions; returns what was applied. Kernels built without netem (some VMs) get
    /// the loss from an nftables rule on the router instead, and no delay.
    @discardableResult
    public func impair(_ edge: Edge, lossPercent: Double, delay: Duration) async throws -> Impairment {
        let subnet = edge == .a ? 1 : 2
        let milliseconds = delay.components.seconds * 1_000 + delay.components.attoseconds / 1_000_000_000_000_000
        let netem = [(router(edge), "wan"), (namespace(.cloud), "site\(subnet)")]
        if await Self.hasNetem(in: router(edge)) {
            for (namespace, device) in netem {
                try await Self.exec(
                    in: namespace, "tc",
                    ["qdisc", "replace", "dev", device, "root", "netem", "loss", "\(lossPercent)%", "delay", "\(milliseconds)ms"])
            }
            return Impairment(lossPercent: lossPercent, delay: delay)
        }
        let perMille = Int((lossPercent * 10).rounded())
        // nftables' numgen range ends at 999, so total loss is an unconditional drop.
        let condition = perMille >= 1_000 ? "" : "numgen random mod 1000 < \(perMille) "
        try await Self.nft(
            in: router(edge),
            """
            table inet impair {
                chain forward {
                    type filter hook forward priority -10; policy accept;
                    iifname "wan" \(condition)drop
                    oifname "wan" \(condition)drop
                }
            }
            """)
        return Impairment(lossPercent: lossPercent, delay: nil)
    }

    /// Removes what `impair` applied.
    public func clearImpairment(_ edge: Edge) async {
        let subnet = edge == .a ? 1 : 2
        for (namespace, device) in [(router(edge), "wan"), (self.namespace(.cloud), "site\(subnet)")] {
            _ = try? await Self.exec(in: namespace, "tc", ["qdisc", "del", "dev", device, "root"])
        }
        _ = try? await Self.exec(in: router(edge), "nft", ["delete", "table", "inet", "impair"])
    }

    private static func hasNetem(in namespace: String) async -> Bool {
        let probe = ["netns", "exec", namespace, ChildProcess.locate("tc") ?? "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"]
        guard let result = try? await ChildProcess.run(ipPath, probe, timeout: .seconds(10)), result.status == 0 else {
            return false
        }
        _ = try? await ChildProcess.run(
            ipPath, ["netns", "exec", namespace, ChildProcess.locate("tc") ?? "tc", "qdisc", "del", "dev", "lo", "root"],
            timeout: .seconds(10))
        return true
    }

    /// Deletes every namespace of this lab (their links go with them). Never throws: it runs
    /// after failures too.
    public func destroy() async {
        for name in [namespace(.edgeA), namespace(.edgeB), router(.a), router(.b), namespace(.cloud)] {
            _ = try? await ChildProcess.run(Self.ipPath, ["netns", "delete", name], timeout: .seconds(10))
        }
    }

    /// Deletes namespaces left by labs whose test process died before `destroy()`; labs of
    /// live processes (this one's concurrent suites included) are left alone.
    public static func removeStale() async {
        guard let listing = try? await ChildProcess.run(ipPath, ["netns", "list"], timeout: .seconds(10)) else { return }
        for line in listing.output.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix(namespacePrefix) else { continue }
            let creator = name.dropFirst(namespacePrefix.count).prefix { $0 != "p" }
            if let pid = Int32(creator, radix: 16), kill(pid, 0) == 0 || errno == EPERM {
                continue
            }
            _ = try? await ChildProcess.run(ipPath, ["netns", "delete", name], timeout: .seconds(10))
        }
    }

    /// Whether this process may build a lab (root, with `ip`, `nft` and `tc` installed).
    public static var isAvailable: Bool {
        getuid() == 0 && ChildProcess.locate("ip") != nil && ChildProcess.locate("nft") != nil
            && ChildProcess.locate("tc") != nil
    }

    private static var ipPath: String { ChildProcess.locate("ip") ?? "/usr/sbin/ip" }

    private static func ip(_ arguments: [String]) async throws {
        try await check(ipPath, arguments)
    }

    private static func exec(in namespace: String, _ executable: String, _ arguments: [String]) async throws {
        try await check(ipPath, ["netns", "exec", namespace, ChildProcess.locate(executable) ?? executable] + arguments)
    }

    private static func nft(in namespace: String, _ rules: String) async throws {
        let file = NSTemporaryDirectory() + "fog-sitelab-\(UUID().uuidString).nft"
        try rules.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await exec(in: namespace, "nft", ["-f", file])
    }

    private static func check(_ executable: String, _ arguments: [String]) async throws {
        let (status, output) = try await ChildProcess.run(executable, arguments, timeout: .seconds(30))
        guard status == 0 else {
            throw TestSupportError(.commandFailed, "`\(([executable] + arguments).joined(separator: " "))` exited \(status): \(output)")
        }
    }
}
