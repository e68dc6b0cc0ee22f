import FogIntegrationSupport
import FogTestSupport
import Testing

/// The lab itself: the edges reach the cloud through NAT and nothing reaches an edge.
/// The site-to-site proof builds on these properties, so they are checked on their own.
@Suite(.serialized) struct SiteLabTests {
    @Test(.enabled(if: SiteLab.isAvailable, "needs root with ip, nft and tc (CI runs as root)"))
    func edgesReachTheCloudAndNothingReachesAnEdge() async throws {
        await SiteLab.removeStale()
        let lab = try await SiteLab.create()
        do {
            let port = try FreePort.next()
            // A listener in the cloud and one on each edge host, on every address.
            let listener = "import socket,sys,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('0.0.0.0',int(sys.argv[1])))\ns.listen(16)\nwhile True:\n    c,_=s.accept()\n    c.close()\n"
            var listeners: [ChildProcess] = []
            defer { listeners.forEach { $0.kill() } }
            for site in SiteLab.Site.allCases {
                listeners.append(try lab.spawn(in: site, "/usr/bin/python3", ["-c", listener, String(port)]))
            }
            try await waitUntil("the cloud listener", timeout: .seconds(10)) {
                await lab.canConnect(from: .cloud, to: SiteLab.cloudAddress, port: port)
            }
            for edge in SiteLab.Edge.allCases {
                #expect(await lab.canConnect(from: edge.site, to: SiteLab.cloudAddress, port: port), "\(edge) → cloud")
                // The edge's own listener works locally, so the refusals below are the network's doing.
                #expect(await lab.canConnect(from: edge.site, to: "127.0.0.1", port: port))
                #expect(!(await lab.canConnect(from: .cloud, to: SiteLab.wanAddress(edge), port: port)), "cloud → \(edge) WAN")
                #expect(!(await lab.canConnect(from: .cloud, to: SiteLab.edgeAddress, port: port)), "cloud → \(edge) host")
            }
            #expect(!(await lab.canConnect(from: .edgeA, to: SiteLab.wanAddress(.b), port: port)), "edge-a → edge-b")
            try await lab.setUplink(.a, up: false)
            #expect(!(await lab.canConnect(from: .edgeA, to: SiteLab.cloudAddress, port: port, timeout: .seconds(1))))
            try await lab.setUplink(.a, up: true)
            #expect(await lab.canConnect(from: .edgeA, to: SiteLab.cloudAddress, port: port))
            // Total loss proves the impairment is in the path; then the real setting still connects.
            try await lab.impair(.b, lossPercent: 100, delay: .milliseconds(50))
            #expect(!(await lab.canConnect(from: .edgeB, to: SiteLab.cloudAddress, port: port, timeout: .seconds(1))))
            await lab.clearImpairment(.b)
            try await lab.impair(.b, lossPercent: 10, delay: .milliseconds(50))
            #expect(await lab.canConnect(from: .edgeB, to: SiteLab.cloudAddress, port: port, timeout: .seconds(10)))
            await lab.clearImpairment(.b)
            #expect(await lab.canConnect(from: .edgeB, to: SiteLab.cloudAddress, port: port))
        } catch {
            await lab.destroy()
            throw error
        }
        await lab.destroy()
    }
}
