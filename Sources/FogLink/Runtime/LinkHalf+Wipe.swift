import FogCore
import FogMQTT
import Foundation
public import Logging

extension LinkHalf {
    /// Removes what the half left outside its files and then the files: its persistent
    /// session on the local bus with its subscriptions and queued echoes (a clean-start
    /// connection under its client id, session expiry 0), the queue, the cursor, the echo
    /// record, the secret and the CA file. Run after the process stopped, before the agent deletes `HALF_DIR`, so neither
    /// the bus's persistence nor the directory keeps anything of the link.
    ///
    /// - Throws: `LinkHalfError` when the bus cannot be reached (the agent retries: a session
    ///   left behind would keep the link's topics in the bus's persistence) or a file cannot
    ///   be removed.
    public static func wipe(configuration: LinkHalfConfiguration, logger: Logger) async throws(LinkHalfError) {
        let files = LinkHalfFiles(directory: configuration.directory)
        let assignment = try files.readAssignment()
        let sideName = assignment.side == .a ? "a" : "b"
        let busPassword = try configuration.busPasswordFile.map { path throws(LinkHalfError) in
            try LinkHalfFiles.readPassword(path)
        }
        let bus = MQTTClient(
            configuration: MQTTConfiguration(
                host: configuration.busHost, port: configuration.busPort,
                clientID: configuration.busClientID ?? "fog-link-\(assignment.linkID)-\(sideName)",
                username: configuration.busUsername, password: busPassword, cleanStart: true, sessionExpiry: 0,
                connectTimeout: .seconds(10), operationTimeout: .seconds(10)),
            logger: logger)
        do {
            try await bus.connect()
            await bus.disconnect()
        } catch {
            await bus.disconnect()
            throw LinkHalfError(
                .configurationInvalid, "cannot clear the half's bus session at \(bus.configuration.brokerAddress)",
                underlying: error)
        }
        do {
            if FileManager.default.fileExists(atPath: files.queueDirectory) {
                try await DiskQueue(directory: files.queueDirectory, logger: logger).destroy()
            }
            try ReceiveCursor.remove(path: files.receiveCursorPath)
            try EchoRecord.remove(path: files.echoRecordPath)
        } catch {
            throw LinkHalfError(.queueFailed, "cannot remove the queue in \(files.directory)", underlying: error)
        }
        for path in [files.secretPath, files.certificateAuthorityPath] where FileManager.default.fileExists(atPath: path) {
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw LinkHalfError(.stateUnusable, "cannot remove \(path)", underlying: error)
            }
        }
        logger.info("link half wiped", metadata: ["fog.link": "\(LogAlias.of(assignment.linkID))", "fog.link.side": "\(assignment.side)"])
    }
}
