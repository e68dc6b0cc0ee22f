import FogCore
import FogTestSupport
import Foundation
import Glibc

/// One real FogFabric link for the bench: two `fog-link` processes, each on its own local
/// bus, talking through a ComSat with the plugin. Side A carries channel 1 from `topic` on
/// bus A; side B delivers it to `topic` on bus B. A reaches the ComSat through `relay`.
///
/// The bench plays the agent (writes each half's assignment, reads its secret hash from its
/// stdout) and the controller (installs both halves' grants through the control channel).
final class BenchLink: Sendable {
    let directory: String
    let fogLink: String
    let assignments: [LinkHalfAssignment]
    let buses: [MosquittoBroker]
    private let processes: [ChildProcess]

    private init(
        directory: String, fogLink: String, assignments: [LinkHalfAssignment], buses: [MosquittoBroker],
        processes: [ChildProcess]
    ) {
        self.directory = directory
        self.fogLink = fogLink
        self.assignments = assignments
        self.buses = buses
        self.processes = processes
    }

    var pids: [Int32] { processes.map(\.pid) }

    /// Starts both halves, installs their grants and waits until both report `state up`.
    /// On failure the halves are stopped before the error propagates.
    static func start(
        fogLink: String, directory: String, topic: String, comsatPort: UInt16, relayPort: UInt16,
        busA: MosquittoBroker, busB: MosquittoBroker, controller: ComSatController, timeout: Duration
    ) async throws -> BenchLink {
        let linkID = OpaqueID()
        let aToB = ComSatTopic.topic(.linkDirection, OpaqueID())
        let bToA = ComSatTopic.topic(.linkDirection, OpaqueID())
        let key = Secret()
        let assignments = [Grant.LinkSide.a, .b].map { side in
            let name = OpaqueID().description
            return LinkHalfAssignment(
                linkID: linkID, side: side, comsatURL: "mqtt://127.0.0.1:\(side == .a ? relayPort : comsatPort)",
                publishTopic: side == .a ? aToB : bToA, subscribeTopic: side == .a ? bToA : aToB,
                username: name, clientID: "h-" + name, preSharedKey: key,
                routes: [LinkRoute(channel: 1, direction: side == .a ? .outbound : .inbound, localTopic: topic)])
        }
        let buses = [busA, busB]
        var processes: [ChildProcess] = []
        do {
            for (index, assignment) in assignments.enumerated() {
                let half = halfDirectory(directory, index)
                guard mkdir(half, 0o700) == 0 else {
                    throw BenchError(.systemCall, "cannot create \(half): \(String(cString: strerror(errno)))")
                }
                guard FileManager.default.createFile(
                    atPath: half + "/assignment", contents: Data(try assignment.encoded()),
                    attributes: [.posixPermissions: 0o600])
                else { throw BenchError(.systemCall, "cannot write \(half)/assignment") }
                processes.append(
                    try ChildProcess.spawn(
                        fogLink,
                        [
                            "run", "--dir", half, "--bus-host", buses[index].host, "--bus-port", "\(buses[index].port)",
                            "--log-level", "warning",
                        ],
                        outputFile: outputPath(directory, index)))
            }
            let link = BenchLink(
                directory: directory, fogLink: fogLink, assignments: assignments, buses: buses, processes: processes)
            var grants: [Grant] = []
            for (index, assignment) in assignments.enumerated() {
                let hash = try await link.secretHash(index, timeout: timeout)
                grants.append(
                    .linkHalf(
                        linkID: linkID, side: assignment.side, username: assignment.username, clientID: assignment.clientID,
                        secretHash: hash, publishTopic: assignment.publishTopic, subscribeTopic: assignment.subscribeTopic))
            }
            try await DedicatedThread.run { [grants] in
                let session = try ComSatControlSession(controller: controller, port: comsatPort)
                try session.connect(timeout: .seconds(30))
                let (refused, first) = try session.addGrants(grants, timeout: .seconds(30))
                guard refused == 0 else { throw BenchError(.controlRejected, "ComSat refused the link's grants: \(first ?? "")") }
                try session.disconnect(timeout: .seconds(30))
            }
            for index in assignments.indices {
                try await waitUntil("fog-link \(assignments[index].side) state up", timeout: timeout) {
                    link.lastState(index) == "up"
                }
            }
            return link
        } catch {
            for (index, process) in processes.enumerated() {
                _ = await process.stop(grace: .seconds(5))
                let output = (try? String(contentsOfFile: outputPath(directory, index), encoding: .utf8)) ?? ""
                FileHandle.standardError.write(Data("--- fog-link \(index == 0 ? "a" : "b") output ---\n\(output.suffix(4_000))\n".utf8))
            }
            throw error
        }
    }

    /// SIGTERM both halves (they stop cleanly), SIGKILL after a bound.
    func stop() async {
        for process in processes {
            _ = await process.stop(grace: .seconds(10))
        }
    }

    /// Whether both halves still run (a crashed half would make every figure meaningless).
    var isRunning: Bool { processes.allSatisfy(\.isRunning) }

    private static func halfDirectory(_ directory: String, _ index: Int) -> String {
        directory + (index == 0 ? "/half-a" : "/half-b")
    }

    private static func outputPath(_ directory: String, _ index: Int) -> String {
        directory + (index == 0 ? "/half-a.out" : "/half-b.out")
    }

    private func lines(_ index: Int) -> [Substring] {
        let text = (try? String(contentsOfFile: Self.outputPath(directory, index), encoding: .utf8)) ?? ""
        return text.split(separator: "\n")
    }

    private func lastState(_ index: Int) -> String? {
        lines(index).last { $0.hasPrefix("state ") }.map { String($0.dropFirst("state ".count)) }
    }

    private func secretHash(_ index: Int, timeout: Duration) async throws -> SecretHash {
        var hash: SecretHash?
        try await waitUntil("fog-link \(assignments[index].side) secret-hash line", timeout: timeout) {
            let line = lines(index).first { $0.hasPrefix("secret-hash ") }
            hash = try line.map { try SecretHash(hex: $0.dropFirst("secret-hash ".count)) }
            return hash != nil
        }
        guard let hash else { throw BenchError(.missingPrerequisite, "fog-link printed no secret hash") }
        return hash
    }
}
