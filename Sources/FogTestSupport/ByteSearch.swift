/// Byte-run search for "leaves no trace" tests: scanning a database, a journal, a broker's
/// persistence file or a captured stream for an id, topic, hash or payload marker.
extension RandomAccessCollection where Element == UInt8, Index == Int {
    /// True when `needle` occurs in these bytes as one contiguous run. An empty needle is
    /// never "found", so a test that forgot to fill it in cannot pass by accident.
    public func containsRun(_ needle: some Collection<UInt8>) -> Bool {
        let needle = Array(needle)
        guard let first = needle.first, needle.count <= count else { return false }
        var index = startIndex
        let last = endIndex - needle.count
        while index <= last {
            if self[index] == first, self[index..<(index + needle.count)].elementsEqual(needle) {
                return true
            }
            index += 1
        }
        return false
    }
}
