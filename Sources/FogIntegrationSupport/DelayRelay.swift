public import FogTestSupport
import Foundation

/// A TCP relay that holds every chunk for a set time before passing it on, in both
/// directions: the site lab's stand-in for `tc netem delay` on kernels built without netem.
/// It runs as a child (a small asyncio program, so it can live in a lab namespace through a
/// `ProcessLauncher`) and reads its delay from a control file, so a test changes the delay
/// of established connections without restarting anything.
public final class DelayRelay: Sendable {
    public let process: ChildProcess
    public let listenHost: String
    public let listenPort: UInt16
    private let controlPath: String

    private init(process: ChildProcess, listenHost: String, listenPort: UInt16, controlPath: String) {
        self.process = process
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.controlPath = controlPath
    }

    /// Starts relaying `listenHost:listenPort` → `targetHost:targetPort` with no delay;
    /// returns once it listens. Its control file and log go into `directory`.
    public static func start(
        launcher: ProcessLauncher, listenHost: String, listenPort: UInt16, targetHost: String, targetPort: UInt16,
        directory: String
    ) async throws -> DelayRelay {
        let controlPath = directory + "/delay-relay-\(listenPort).delay"
        let logPath = directory + "/delay-relay-\(listenPort).log"
        try TextFile.write("0\n", to: controlPath)
        let process = try launcher.spawn(
            "/usr/bin/python3",
            ["-c", script, listenHost, String(listenPort), targetHost, String(targetPort), controlPath],
            outputFile: logPath)
        do {
            try await waitUntil("the delay relay on \(listenHost):\(listenPort) listening", timeout: .seconds(10)) {
                guard process.isRunning else {
                    throw TestSupportError(.commandFailed, "delay relay exited: \((try? TextFile.read(logPath)) ?? "")")
                }
                return ((try? TextFile.read(logPath)) ?? "").contains("listening")
            }
        } catch {
            process.kill()
            _ = await process.waitForExit(timeout: .seconds(5))
            throw error
        }
        return DelayRelay(process: process, listenHost: listenHost, listenPort: listenPort, controlPath: controlPath)
    }

    /// Sets the one-way delay of each direction; applies to chunks read from now on
    /// (within 0.1 s, the relay's polling interval).
    public func setDelay(_ delay: Duration) throws {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        try TextFile.write("\(seconds)\n", to: controlPath)
    }

    public func stop() async {
        process.kill()
        _ = await process.waitForExit(timeout: .seconds(5))
    }

    /// Each connection gets a reader and a writer per direction; the reader stamps every
    /// chunk with its due time, the writer sends it when due, so order is kept and the
    /// delay does not cut throughput. Either side closing or failing closes both.
    private static let script = """
        import asyncio, sys, time

        listen_host, listen_port = sys.argv[1], int(sys.argv[2])
        target_host, target_port, control = sys.argv[3], int(sys.argv[4]), sys.argv[5]
        delay = [0.0]

        async def watch():
            while True:
                try:
                    with open(control) as f:
                        delay[0] = max(0.0, float(f.read().strip() or "0"))
                except (OSError, ValueError):
                    pass
                await asyncio.sleep(0.1)

        async def pump(reader, writer):
            queue = asyncio.Queue()

            async def read():
                while True:
                    data = await reader.read(65536)
                    await queue.put((time.monotonic() + delay[0], data))
                    if not data:
                        return

            async def write():
                while True:
                    due, data = await queue.get()
                    wait = due - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    if not data:
                        return
                    writer.write(data)
                    await writer.drain()

            try:
                await asyncio.gather(read(), write())
            except Exception:
                pass
            finally:
                writer.close()

        async def handle(client_reader, client_writer):
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(target_host, target_port)
            except OSError:
                client_writer.close()
                return
            await asyncio.gather(
                pump(client_reader, upstream_writer), pump(upstream_reader, client_writer), return_exceptions=True)

        async def main():
            server = await asyncio.start_server(handle, listen_host, listen_port, reuse_address=True)
            asyncio.get_running_loop().create_task(watch())
            print("listening", flush=True)
            async with server:
                await server.serve_forever()

        asyncio.run(main())
        """
}
