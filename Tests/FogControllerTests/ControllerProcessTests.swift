import FogController
import FogIntegrationSupport
import FogTestSupport
import Foundation
import Testing

/// `fog-controller init` and `run` as real processes.
@Suite struct ControllerProcessTests {
    /// The first IPv4 address of an up, non-loopback interface, if the machine has one.
    static let nonLoopbackIPv4: String? = {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var entry: UnsafeMutablePointer<ifaddrs>? = first
        while let current = entry {
            entry = current.pointee.ifa_next
            let flags = Int32(current.pointee.ifa_flags)
            guard let address = current.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0
            else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            let ipv4 = UnsafeRawPointer(address).assumingMemoryBound(to: sockaddr_in.self)
            var raw = ipv4.pointee.sin_addr
            guard inet_ntop(AF_INET, &raw, &text, socklen_t(text.count)) != nil else { continue }
            let result = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !result.hasPrefix("127.") { return result }
        }
        return nil
    }()

    /// Tries a TCP connection; the errno of the failure, or 0 when it connected.
    static func connectError(host: String, port: Int) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0 ? 0 : errno
    }

    @Test func initPrintsWhereTheTokenIsButNoSecret() async throws {
        let directory = try TemporaryDirectory(prefix: "controller-init")
        defer { directory.remove() }
        let home = directory.path + "/home"
        let (status, output) = try await ChildProcess.run(
            ControllerProcess.executable, ["init", "--home", home], timeout: .seconds(30))
        #expect(status == 0, "\(output)")
        #expect(output.contains("admin token file: \(home)/admin.token"))
        let opened = try ControllerHome.open(at: home)
        #expect(output.contains(opened.controllerID.description))
        let token = try String(contentsOfFile: home + "/admin.token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!output.contains(token))
        let signing = try Data(contentsOf: URL(fileURLWithPath: home + "/signing.key"))
        #expect(!output.contains(signing.base64EncodedString()))
        #expect(FileManager.default.fileExists(atPath: home + "/controller.sqlite"))

        // A second init never overwrites the home.
        let again = try await ChildProcess.run(ControllerProcess.executable, ["init", "--home", home], timeout: .seconds(30))
        #expect(again.status == 1)
        #expect(again.output.contains("already exists"))
        #expect(try ControllerHome.open(at: home).controllerID == opened.controllerID)
    }

    @Test func runWithoutAHomeSaysToRunInit() async throws {
        let directory = try TemporaryDirectory(prefix: "controller-nohome")
        defer { directory.remove() }
        let (status, output) = try await ChildProcess.run(
            ControllerProcess.executable, ["run", "--home", directory.path + "/missing", "--admin-port", "0"],
            timeout: .seconds(30))
        #expect(status == 1)
        #expect(output.contains("fog-controller init"), "\(output)")
    }

    @Test func runRefusesANonLoopbackAdminAddress() async throws {
        let directory = try TemporaryDirectory(prefix: "controller-bind")
        defer { directory.remove() }
        let home = directory.path + "/home"
        _ = try await ChildProcess.run(ControllerProcess.executable, ["init", "--home", home], timeout: .seconds(30))
        for host in ["0.0.0.0", "::"] {
            let (status, output) = try await ChildProcess.run(
                ControllerProcess.executable, ["run", "--home", home, "--admin-host", host, "--admin-port", "0"],
                timeout: .seconds(30))
            #expect(status == 1)
            #expect(output.contains("only listen on loopback"), "\(output)")
        }
    }

    @Test func servesTheAdminAPIOnLoopbackAndStopsOnSIGTERM() async throws {
        try await ControllerProcess.run { controller in
            #expect(Self.connectError(host: "127.0.0.1", port: controller.port) == 0)
            let (status, output) = try await controller.fogctl(["status", "--json"])
            #expect(status == 0, "\(output)")
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let parsed = try decoder.decode(ControllerStatus.self, from: Data(output.utf8))
            #expect(parsed.controllerID == (try ControllerHome.open(at: controller.homePath)).controllerID.description)
            // The token never reaches the log.
            let token = try AdminClient.readToken(path: controller.tokenPath)
            #expect(!controller.log.contains(token))
        }
    }

    @Test(.enabled(if: nonLoopbackIPv4 != nil, "this machine has no non-loopback IPv4 address to probe"))
    func adminAPIIsNotReachableOnANonLoopbackAddress() async throws {
        let address = try #require(Self.nonLoopbackIPv4)
        try await ControllerProcess.run { controller in
            #expect(Self.connectError(host: "127.0.0.1", port: controller.port) == 0)
            #expect(Self.connectError(host: address, port: controller.port) == ECONNREFUSED, "admin API answered on \(address)")
        }
    }
}
