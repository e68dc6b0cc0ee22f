import FogIntegrationSupport
import FogTestSupport
import Foundation
import Testing

/// Issue 6's site-to-site proof: the whole fabric across a `SiteLab` — controller and ComSat
/// in the cloud, one agent behind each edge's NAT and inbound-dropping firewall — with real
/// processes throughout. Readings flow edge-a → edge-b and edge-b → edge-a over the agents'
/// one link; nothing in an edge accepts a connection from the cloud; a 30 s uplink cut and
/// then 10 % loss with 200 ms delay lose, repeat and reorder nothing; decommission leaves no
/// trace in any file of the fabric (state dirs, controller database and WAL, grant store,
/// ComSat persistence, every log). CI runs as root; elsewhere the test is skipped.
@Suite(.serialized) struct SiteToSiteProofTests {
    /// Readings per flow before the impairment phase, at `rate` per second: the uplink cut
    /// falls inside their production.
    static let beforeImpairment = 4_000
    /// Readings per flow sent under loss and delay.
    static let underImpairment = 1_000
    static let rate = 100
    static let outage: Duration = .seconds(30)

    private static func log(_ text: String) {
        FileHandle.standardError.write(Data("site-to-site: \(text)\n".utf8))
    }

    @Test(.enabled(if: SiteLab.isAvailable, "needs root with ip, nft and tc (CI runs as root)"), .timeLimit(.minutes(10)))
    func readingsCrossNATedSitesThroughOutagesAndLossAndLeaveNoTrace() async throws {
        await SiteLab.removeStale()
        let lab = try await SiteLab.create()
        do {
            try await Self.prove(in: lab)
        } catch {
            await lab.destroy()
            throw error
        }
        await lab.destroy()
    }

    private static func prove(in lab: SiteLab) async throws {
        let total = beforeImpairment + underImpairment
        let clock = ContinuousClock()
        try await FabricRig.run(
            count: total, rate: rate, holdAt: [beforeImpairment], placement: .sites(lab), flows: FabricRig.Flow.allCases
        ) { rig in
            rig.startReadings()
            for flow in rig.flows {
                try await rig.waitForReceived(atLeast: 100, flow: flow)
            }
            log("readings flowing both ways through the ComSat at \(SiteLab.cloudAddress)")
            try await expectNoInboundConnections(lab, rig)

            // The uplink cut: edge-a loses the cloud while both producers keep publishing.
            let producedBefore = rig.produced(.aToB)
            try await lab.setUplink(.a, up: false)
            try await Task.sleep(for: outage)
            let producedDuring = rig.produced(.aToB) - producedBefore
            try await lab.setUplink(.a, up: true)
            let restored = clock.now
            log("edge-a's uplink down for \(outage); edge-a produced \(producedDuring) meanwhile")
            #expect(producedDuring > 0, "edge-a must keep producing while cut off")
            for flow in rig.flows {
                try await rig.expectExactlyOnceInOrder(count: beforeImpairment, flow: flow, timeout: .seconds(240))
            }
            log("all \(beforeImpairment) readings per flow exactly once, in order, \(clock.now - restored) after the uplink returned")

            // Loss (nftables, or netem where the kernel has it) on both edges' uplinks, and delay
            // (netem, or the data plane's relay in the cloud where the kernel lacks netem).
            var applied: [String] = []
            for edge in SiteLab.Edge.allCases {
                let impairment = try await lab.impair(edge, lossPercent: 10, delay: .milliseconds(200))
                if impairment.delay == nil {
                    try #require(rig.delayRelay).setDelay(.milliseconds(200))
                    applied.append("\(edge): 10% loss (nftables), 200 ms each way on the data plane (relay)")
                } else {
                    applied.append("\(edge): \(impairment)")
                }
            }
            let impaired = clock.now
            rig.releaseHold(1)
            for flow in rig.flows {
                try await rig.expectExactlyOnceInOrder(count: total, flow: flow, timeout: .seconds(300))
            }
            let took = clock.now - impaired
            let production = Duration.seconds(Double(underImpairment) / Double(rate))
            log("\(underImpairment) readings per flow under [\(applied.joined(separator: "; "))]: all exactly once in \(took) (production alone takes \(production))")
            for edge in SiteLab.Edge.allCases {
                await lab.clearImpairment(edge)
            }
            try rig.delayRelay?.setDelay(.zero)

            // Decommission, then the no-trace audit over every file the fabric wrote: both state
            // dirs, the controller's home (database, WAL, keys) and log, the agents' logs, the
            // ComSat's grant store, persistence file, configuration and log.
            try await rig.removeRoutesAndAudit(auditPaths: [rig.root, rig.broker.directory], savingComSat: true)
            log("route rm: nothing of the link in \(rig.root) or \(rig.broker.directory)")
        }
    }

    /// Every listening socket in each edge's namespace is on loopback, and the cloud reaches
    /// none of those ports (nor an arbitrary one) at the site's public or private address,
    /// while the edge itself reaches its bus (a positive control).
    private static func expectNoInboundConnections(_ lab: SiteLab, _ rig: FabricRig) async throws {
        for (edge, agent) in zip(SiteLab.Edge.allCases, rig.agents) {
            let sockets = try ListeningSockets.all(inNetworkNamespaceOf: agent.process.pid)
            #expect(!sockets.isEmpty, "\(edge): the local bus must be listening")
            let loopbackOnly = sockets.allSatisfy { $0.isLoopback }
            #expect(loopbackOnly, "\(edge) listens off loopback: \(sockets)")
            var ports = Set(sockets.map(\.port))
            let busPorts = ports
            ports.insert(try FreePort.next())
            for port in ports.sorted() {
                if busPorts.contains(port) {
                    #expect(await lab.canConnect(from: edge.site, to: "127.0.0.1", port: port), "\(edge) reaches its own :\(port)")
                }
                for address in [SiteLab.wanAddress(edge), SiteLab.edgeAddress] {
                    #expect(
                        !(await lab.canConnect(from: .cloud, to: address, port: port, timeout: .seconds(1))),
                        "the cloud connected into \(edge) at \(address):\(port)")
                }
            }
        }
    }
}
