internal import FogCore

extension GrantStore {
    /// Installs `grant`, or replaces the grant with its username. Stages the journal
    /// records; the caller commits once per command.
    func add(_ grant: Grant) -> ItemOutcome {
        do {
            try grant.validate()
        } catch {
            return ItemOutcome(.invalid, error.message)
        }
        guard let payload = try? grant.encoded(), let digest = try? GrantDigest(of: grant) else {
            return ItemOutcome(.invalid, "\(LogAlias.of(grant.username)) cannot be encoded")
        }
        let username = Array(grant.username.utf8)
        let existingSlot = slot(of: username)
        let existing = existingSlot.flatMap { records[$0] }
        if let existing, existing.grant == grant {
            return ItemOutcome(.unchanged)
        }
        if let problem = admissionProblem(for: grant, replacing: existing, checkCapacity: true) {
            return problem
        }
        let location = journal.stage(.grant, payload)
        if let existingSlot, let existing {
            journal.stageErasure(of: existing.location)
            replace(slot: existingSlot, with: grant, digest: digest, location: location)
            if !existing.grant.secretHash.matches(grant.secretHash) {
                // A connection authenticated with the old secret must not outlive it.
                pendingKicks.append(existing.clientIDCString)
            }
            return ItemOutcome(.replaced)
        }
        insert(grant, digest: digest, location: location)
        return ItemOutcome(.added)
    }

    /// Removes the grant of `username`: erases its journal record (and its side's opt-in),
    /// queues its client for a kick and its client id for the controller's session sweep.
    func remove(username: String) -> ItemOutcome {
        let bytes = Array(username.utf8)
        guard let slot = slot(of: bytes), let record = records[slot] else {
            return ItemOutcome(.notFound, "no grant for \(LogAlias.of(username))")
        }
        journal.stageErasure(of: record.location)
        uninstall(slot: slot)
        if let older = pendingSweeps.insert(record.clientID, at: journal.stage(.sweepPending, record.clientID)) {
            journal.stageErasure(of: older)
        }
        pendingKicks.append(record.clientIDCString)
        return ItemOutcome(.removed)
    }

    /// Makes the grant set exactly `grants`. Existing grants that cannot become their new
    /// version in place (absent from `grants`, or a different client id, kind or link) are
    /// removed first; the rest go through `add`. Items refused with a conflict get a second
    /// try after the others, so a topic handed from one principal to another in the same
    /// resync does not depend on the order of the list.
    func replaceAll(with grants: [Grant]) -> (outcomes: [ItemOutcome], removed: Int) {
        var positions: [[UInt8]: Int] = [:]
        var duplicates: Set<Int> = []
        for (position, grant) in grants.enumerated() {
            let username = Array(grant.username.utf8)
            if positions[username] == nil {
                positions[username] = position
            } else {
                duplicates.insert(position)
            }
        }
        var removed = 0
        for record in records.compactMap({ $0 }) {
            if let position = positions[record.username] {
                let wanted = grants[position]
                if Array(wanted.clientID.utf8) == record.clientID, wanted.kind == record.grant.kind,
                    wanted.link == record.grant.link
                {
                    continue
                }
            }
            _ = remove(username: record.grant.username)
            removed += 1
        }
        var outcomes: [ItemOutcome] = []
        outcomes.reserveCapacity(grants.count)
        for (position, grant) in grants.enumerated() {
            outcomes.append(
                duplicates.contains(position)
                    ? ItemOutcome(.conflict, "\(LogAlias.of(grant.username)) is listed more than once")
                    : add(grant))
        }
        for position in outcomes.indices where outcomes[position].result == .conflict && !duplicates.contains(position) {
            outcomes[position] = add(grants[position])
        }
        return (outcomes, removed)
    }

    // MARK: Rules between grants

    /// Why `grant` cannot be installed next to the others, or nil when it can.
    func admissionProblem(for grant: Grant, replacing existing: GrantRecord?, checkCapacity: Bool) -> ItemOutcome? {
        let username = Array(grant.username.utf8)
        let clientID = Array(grant.clientID.utf8)
        if username == reserved.username || clientID == reserved.clientID {
            return ItemOutcome(.conflict, "\(LogAlias.of(grant.username)) uses the controller's username or client id")
        }
        if let existing {
            guard existing.clientID == clientID, existing.grant.kind == grant.kind, existing.grant.link == grant.link else {
                return ItemOutcome(
                    .conflict, "\(LogAlias.of(grant.username)) exists with another client id, kind or link; remove it first")
            }
        } else {
            if slotsByClientID[clientID] != nil {
                return ItemOutcome(.conflict, "client id \(LogAlias.of(grant.clientID)) belongs to another grant")
            }
            if pendingSweeps.contains(clientID) {
                return ItemOutcome(.sweepPending, "client id \(LogAlias.of(grant.clientID)) has a session awaiting its sweep")
            }
            if checkCapacity, count >= capacity {
                return ItemOutcome(.capacityExceeded, "the store holds its maximum of \(capacity) grants")
            }
            if let link = grant.link, let slot = linkSlotsByID[link.linkID], let state = links[slot], state.half(link.side) >= 0 {
                return ItemOutcome(.conflict, "link \(link.linkID) side \(link.side) already has a grant")
            }
        }
        let owner = Self.owner(of: grant)
        for topic in grant.publishTopics + grant.subscribeTopics {
            if let claim = topicClaims[Array(topic.utf8)], claim.owner != owner {
                return ItemOutcome(.conflict, "topic \(LogAlias.of(topic)) belongs to another link or principal")
            }
        }
        return nil
    }

    static func owner(of grant: Grant) -> TopicClaim.Owner {
        if let link = grant.link {
            return .link(link.linkID)
        }
        return .principal(Array(grant.username.utf8))
    }

    // MARK: Table updates (no journal)

    func slot(of username: [UInt8]) -> Int? {
        username.withUnsafeBytes { bytes in
            index.find(hash: index.hash(bytes), where: { slot in records[slot]?.username == username })
        }
    }

    /// Adds a grant that passed `admissionProblem` as new.
    func insert(_ grant: Grant, digest: GrantDigest, location: JournalLocation) {
        var linkSlot = -1
        if let link = grant.link {
            if let existing = linkSlotsByID[link.linkID] {
                linkSlot = existing
            } else {
                let state = LinkState(id: link.linkID)
                if let free = freeLinkSlots.popLast() {
                    linkSlot = free
                    links[free] = state
                } else {
                    linkSlot = links.count
                    links.append(state)
                }
                linkSlotsByID[link.linkID] = linkSlot
            }
        }
        let usernameHash = ByteHash.hash(Array(grant.username.utf8), seed: index.seed)
        let record = GrantRecord(
            grant: grant, usernameHash: usernameHash, digest: digest, linkSlot: linkSlot, location: location)
        let slot: Int
        if let free = freeRecordSlots.popLast() {
            slot = free
            records[free] = record
        } else {
            slot = records.count
            records.append(record)
        }
        index.insert(hash: usernameHash, value: slot)
        slotsByClientID[record.clientID] = slot
        claimTopics(of: grant)
        if let side = grant.link?.side {
            links[linkSlot]?.setHalf(side, slot)
        }
        digestDidChange(removing: nil, inserting: digest)
    }

    /// Swaps the grant in `slot` for a compatible new version (same username, client id,
    /// kind and link), keeping the link's opt-in state.
    func replace(slot: Int, with grant: Grant, digest: GrantDigest, location: JournalLocation) {
        guard let old = records[slot] else { return }
        releaseTopics(of: old.grant)
        claimTopics(of: grant)
        records[slot] = GrantRecord(
            grant: grant, usernameHash: old.usernameHash, digest: digest, linkSlot: old.linkSlot, location: location)
        digestDidChange(removing: old.digest, inserting: digest)
    }

    /// Removes the grant in `slot` from every index, and its side's opt-in (staging the
    /// erasure of that opt-in record). The caller erases the grant's own record.
    func uninstall(slot: Int) {
        guard let record = records[slot] else { return }
        releaseTopics(of: record.grant)
        slotsByClientID[record.clientID] = nil
        index.remove(hash: record.usernameHash, value: slot)
        records[slot] = nil
        freeRecordSlots.append(slot)
        if record.linkSlot >= 0, let side = record.grant.link?.side, var link = links[record.linkSlot] {
            let wasOptedIn = link.isOptedIn
            if let optIn = link.optIn(side) {
                journal.stageErasure(of: optIn)
                link.setOptIn(side, nil)
            }
            if wasOptedIn {
                optedInLinkCountDidChange(by: -1)
            }
            link.setHalf(side, -1)
            if link.isEmpty {
                links[record.linkSlot] = nil
                freeLinkSlots.append(record.linkSlot)
                linkSlotsByID[link.id] = nil
            } else {
                links[record.linkSlot] = link
            }
        }
        digestDidChange(removing: record.digest, inserting: nil)
    }

    private func claimTopics(of grant: Grant) {
        let owner = Self.owner(of: grant)
        for topic in grant.publishTopics + grant.subscribeTopics {
            topicClaims[Array(topic.utf8), default: TopicClaim(owner: owner, references: 0)].references += 1
        }
    }

    private func releaseTopics(of grant: Grant) {
        for topic in grant.publishTopics + grant.subscribeTopics {
            let key = Array(topic.utf8)
            guard var claim = topicClaims[key] else { continue }
            claim.references -= 1
            topicClaims[key] = claim.references > 0 ? claim : nil
        }
    }
}
