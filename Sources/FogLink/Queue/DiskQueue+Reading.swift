extension DiskQueue {
    /// Bytes read at a time when walking a segment.
    static let readChunkBytes = 256 << 10

    /// Calls `visit` with each durable record from `sequence` on, in order, until it returns
    /// false. `visit` gets the sequence, the record's size in the file, and the buffer with
    /// the payload's range in it. With `verify` every record checksum is checked; damage
    /// found here (disk rot after open) throws `.corrupt`.
    func forEachRecord(
        from sequence: UInt64, verify: Bool,
        _ visit: (_ sequence: UInt64, _ size: Int, _ buffer: [UInt8], _ payload: Range<Int>) -> Bool
    ) throws(DiskQueueError) {
        guard sequence < nextSequence,
            var index = segments.firstIndex(where: { sequence < $0.endSequence })
        else { return }
        var offset = segments[index].startOffset(for: sequence)
        while index < segments.count {
            let segment = segments[index]
            var chunk: [UInt8] = []
            var chunkStart = offset
            while offset < segment.size {
                var local = Int(offset - chunkStart)
                var header = SegmentFormat.batchHeader(in: chunk, at: local)
                if header == nil || chunk.count - local < header?.size ?? 0 {
                    let wanted = max(Self.readChunkBytes, header?.size ?? 0)
                    chunk = try segment.file.read(count: Int(min(UInt64(wanted), segment.size - offset)), at: offset)
                    chunkStart = offset
                    local = 0
                    header = SegmentFormat.batchHeader(in: chunk, at: 0)
                    if let size = header?.size, size > chunk.count {
                        chunk = try segment.file.read(count: size, at: offset)
                    }
                }
                guard let header, header.size <= chunk.count - local,
                    let records = SegmentFormat.records(of: header, in: chunk, at: local, verify: verify)
                else {
                    throw DiskQueueError(
                        code: .corrupt, path: segment.path,
                        message: "batch at offset \(offset) became unreadable after the queue was opened "
                            + "(disk damage); records from \(sequence) on cannot be read")
                }
                if header.lastSequence >= sequence {
                    for record in records where record.sequence >= sequence {
                        if !visit(record.sequence, record.size, chunk, record.payload) { return }
                    }
                }
                offset += UInt64(header.size)
            }
            index += 1
            offset = UInt64(SegmentFormat.magic.count)
        }
    }
}
