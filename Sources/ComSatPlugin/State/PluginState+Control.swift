internal import FogCore

extension PluginState {
    /// Handles one message on `$CONTROL/comsat/v1`.
    ///
    /// Refused without a response, counted and logged briefly: anything not from the
    /// controller's own connection, larger than `max_control_size`, or whose envelope fails
    /// verification (forged, unsigned, wrong recipient or kind, stale, replayed, truncated).
    /// A genuine envelope always gets a signed response: `malformed` if its body cannot be
    /// decoded, `refused` if it would change grants but may not, else the results. Nothing
    /// in this path can trap on input; state changes only through a decoded, verified
    /// command.
    func handleControl(
        username: UnsafeRawBufferPointer?, clientID: UnsafeRawBufferPointer?, payload: UnsafeRawBufferPointer,
        now: Timestamp
    ) -> ControlOutcome {
        guard let username, let clientID, isController(username: username, clientID: clientID) else {
            return refuse("control message not from the controller's connection")
        }
        guard payload.count <= configuration.maximumControlSize else {
            return refuse("control message of \(payload.count) bytes exceeds max_control_size \(configuration.maximumControlSize)")
        }
        let opened: OpenedEnvelope
        do {
            opened = try verifier.open(Array(payload), now: now)
        } catch {
            return refuse("control envelope \(error.code): \(error.message)")
        }
        let request: ComSatRequest
        do {
            request = try ComSatRequest.decode(opened.body)
        } catch {
            counters.controlRefused &+= 1
            PluginLog.warning("refused control command: \(error)")
            return respond(
                ComSatResponse(correlationID: 0, command: nil, status: .malformed, reason: error.description, body: .none),
                now: now)
        }
        let code = request.command.code
        if request.command.changesGrants {
            var refusal: String?
            if let storageFailure {
                refusal = "the grant store failed earlier (\(storageFailure)); restart the broker, then resynchronise"
            } else if opened.timestamp.millisecondsSinceEpoch <= restartWatermark {
                refusal = "command timestamp \(opened.timestamp) is not after the last change before this start (replay?)"
            }
            if let refusal {
                counters.controlRefused &+= 1
                PluginLog.warning("refused \(code) (correlation \(request.correlationID)): \(refusal)")
                return respond(
                    ComSatResponse(
                        correlationID: request.correlationID, command: code, status: .refused, reason: refusal, body: .none),
                    now: now)
            }
        }
        counters.controlAccepted &+= 1
        var response = execute(request)
        if request.command.changesGrants {
            store.journal.stageWatermark(opened.timestamp.millisecondsSinceEpoch)
            do {
                if let warning = try store.commit() {
                    PluginLog.warning("grant store compaction failed, continuing uncompacted: \(warning)")
                }
            } catch {
                storageFailure = error
                response.status = .storageFailed
                response.reason = "grant store write failed: \(error)" + (response.reason.isEmpty ? "" : "; " + response.reason)
                PluginLog.error("grant store write failed, refusing grant changes until restart: \(error)")
            }
            PluginLog.notice(auditLine(for: request, response: response))
        }
        var outcome = respond(response, now: now)
        outcome.kicks = store.drainKicks()
        return outcome
    }

    private func execute(_ request: ComSatRequest) -> ComSatResponse {
        let code = request.command.code
        func answer(_ body: ComSatResponse.Body, reason: String = "") -> ComSatResponse {
            ComSatResponse(correlationID: request.correlationID, command: code, status: .ok, reason: reason, body: body)
        }
        switch request.command {
        case .addGrants(let grants):
            let outcomes = grants.map(store.add)
            return answer(.items(outcomes.map(\.result)), reason: Self.summary(outcomes))
        case .removeGrants(let usernames):
            let outcomes = usernames.map { store.remove(username: $0) }
            return answer(.items(outcomes.map(\.result)), reason: Self.summary(outcomes))
        case .replaceAll(let grants):
            let (outcomes, removed) = store.replaceAll(with: grants)
            return answer(
                .replaced(items: outcomes.map(\.result), removed: UInt32(clamping: removed)), reason: Self.summary(outcomes))
        case .digest:
            return answer(.digest(store.setDigest))
        case .list(let cursor, let limit):
            let page = store.page(from: Int(cursor), limit: min(Int(limit), ComSatProtocol.maximumListPage))
            return answer(.list(entries: page.entries, nextCursor: page.next.map { UInt32(clamping: $0) }))
        case .stats:
            return answer(.stats(stats()))
        case .pendingSweeps(let cursor, let limit):
            let page = store.pendingSweepPage(from: Int(cursor), limit: min(Int(limit), ComSatProtocol.maximumListPage))
            return answer(.pendingSweeps(clientIDs: page.clientIDs, nextCursor: page.next.map { UInt32(clamping: $0) }))
        }
    }

    /// "3 of 1000 items refused; first: item 17 invalid: …", or "" when all succeeded.
    private static func summary(_ outcomes: [ItemOutcome]) -> String {
        let refused = outcomes.indices.filter { !outcomes[$0].result.isSuccess }
        guard let first = refused.first else { return "" }
        let outcome = outcomes[first]
        let reason = outcome.reason.map { ": " + $0 } ?? ""
        return "\(refused.count) of \(outcomes.count) items refused; first: item \(first) \(outcome.result)\(reason)"
    }

    /// One audit line per grant-changing command: counts per result, never a secret hash.
    private func auditLine(for request: ComSatRequest, response: ComSatResponse) -> String {
        var counts: [ComSatItemResult: Int] = [:]
        for item in response.itemResults {
            counts[item, default: 0] += 1
        }
        let tally = ComSatItemResult.allCases.compactMap { result in
            counts[result].map { "\($0) \(result)" }
        }
        var line = "\(request.command.code) (correlation \(request.correlationID)): \(response.status)"
        if !tally.isEmpty {
            line += ", " + tally.joined(separator: ", ")
        }
        if case .replaced(_, let removed) = response.body {
            line += ", \(removed) removed as absent"
        }
        line += "; \(store.count) grants, \(store.pendingSweepCount) sweeps pending"
        if !response.reason.isEmpty {
            line += "; " + response.reason
        }
        return line
    }

    private func refuse(_ reason: String) -> ControlOutcome {
        counters.controlRefused &+= 1
        PluginLog.warning("refused " + reason)
        return ControlOutcome(response: nil)
    }

    private func respond(_ response: ComSatResponse, now: Timestamp) -> ControlOutcome {
        let envelope = sealer.seal(
            kind: .comsatResponse, body: response.encoded(), recipientID: configuration.controllerID, now: now)
        return ControlOutcome(response: envelope)
    }
}
