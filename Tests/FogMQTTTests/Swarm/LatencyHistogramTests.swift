@testable import FogMQTT
import Testing

@Suite struct LatencyHistogramTests {
    @Test func bucketsTileTheWholeRangeWithoutGaps() {
        var expectedLow: UInt64 = 0
        var index = 0
        while true {
            let (low, width) = LatencyHistogram.range(of: index)
            #expect(low == expectedLow, "bucket \(index)")
            #expect(LatencyHistogram.bucket(of: low) == index)
            #expect(LatencyHistogram.bucket(of: low + (width - 1)) == index)
            if low > UInt64.max - width { break }
            expectedLow = low + width
            index += 1
        }
        #expect(LatencyHistogram.bucket(of: .max) == index)
    }

    @Test func percentilesStayWithinTheBucketError() {
        var histogram = LatencyHistogram()
        for value in 1...100_000 as ClosedRange<UInt64> {
            histogram.record(nanoseconds: value * 1_000)
        }
        #expect(histogram.count == 100_000)
        for (percentile, exact) in [(50.0, 50_000_000.0), (99.0, 99_000_000.0), (99.9, 99_900_000.0)] {
            let value = Double(histogram.value(atPercentile: percentile))
            #expect(abs(value - exact) / exact < 0.016, "p\(percentile) = \(value), exact \(exact)")
        }
        #expect(histogram.value(atPercentile: 100) == 100_000_000)
        #expect(abs(Double(histogram.value(atPercentile: 0)) - 1_000) / 1_000 < 0.016)
        #expect(abs(histogram.mean - 50_000_500) < 1)
    }

    @Test func smallValuesAreExact() {
        var histogram = LatencyHistogram()
        for value in [3, 3, 7, 120] as [UInt64] {
            histogram.record(nanoseconds: value)
        }
        #expect(histogram.value(atPercentile: 50) == 3)
        #expect(histogram.value(atPercentile: 75) == 7)
        #expect(histogram.value(atPercentile: 100) == 120)
    }

    @Test func mergeEqualsRecordingEverythingInOne() {
        var left = LatencyHistogram()
        var right = LatencyHistogram()
        var both = LatencyHistogram()
        for value in stride(from: UInt64(500), to: 5_000_000, by: 997) {
            if value % 2 == 0 { left.record(nanoseconds: value) } else { right.record(nanoseconds: value) }
            both.record(nanoseconds: value)
        }
        left.merge(right)
        #expect(left.count == both.count)
        #expect(left.minimum == both.minimum)
        #expect(left.maximum == both.maximum)
        for percentile in [1.0, 50, 90, 99, 99.99] {
            #expect(left.value(atPercentile: percentile) == both.value(atPercentile: percentile))
        }
    }

    @Test func emptyHistogramReportsZero() {
        let histogram = LatencyHistogram()
        #expect(histogram.value(atPercentile: 99) == 0)
        #expect(histogram.mean == 0)
    }
}
