import FogTestSupport
import Foundation
import Testing

@Suite struct ChildProcessTests {
    @Test func terminateStopsSleepAndReapsIt() async throws {
        let process = try ChildProcess.spawn("sleep", ["60"])
        #expect(process.isRunning)
        process.terminate()
        let status = await process.waitForExit(timeout: .seconds(5))
        #expect(status == 128 + SIGTERM)
        // Reaped: no /proc entry, so no zombie is left behind.
        #expect(!FileManager.default.fileExists(atPath: "/proc/\(process.pid)"))
    }

    @Test func childStartsWithEmptySignalMaskAndDefaultHandlers() async throws {
        let result = try await ChildProcess.run(
            "/bin/sh", ["-c", "grep -E '^Sig(Blk|Ign):' /proc/self/status"], timeout: .seconds(10))
        #expect(result.status == 0)
        #expect(result.output.contains("SigBlk:\t0000000000000000"), "\(result.output)")
        // glibc keeps its two internal real-time signals (32, 33) as they are; every
        // standard signal (1-31) must be back to its default action.
        let ignored = try #require(result.output.split(separator: "\n").first { $0.hasPrefix("SigIgn:") })
        let mask = try #require(UInt64(ignored.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16))
        #expect(mask & 0x7fff_ffff == 0, "\(result.output)")
    }

    @Test func runReportsExitStatusAndOutput() async throws {
        let result = try await ChildProcess.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], timeout: .seconds(10))
        #expect(result.status == 3)
        #expect(result.output == "out\nerr\n")
    }

    @Test func runKillsCommandThatOutlivesTimeout() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        await #expect(throws: ChildProcessError.self) {
            _ = try await ChildProcess.run("sleep", ["60"], timeout: .milliseconds(300))
        }
        // Far below the 60 s the command would run; loose for a loaded 2-core machine.
        #expect(clock.now - started < .seconds(20))
    }

    @Test func spawnOfMissingExecutableThrows() {
        #expect(throws: ChildProcessError.self) {
            _ = try ChildProcess.spawn("/nonexistent/fog-no-such-binary", [])
        }
    }

    @Test func droppedProcessIsKilledAndReaped() throws {
        var pid: Int32 = 0
        do {
            let process = try ChildProcess.spawn("sleep", ["60"])
            pid = process.pid
        }
        #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)"))
    }
}
