/// Plain-text tables for a terminal: columns padded to their widest cell, first column
/// left-aligned, the rest right-aligned (they hold numbers).
enum Table {
    static func render(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: columns)
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.count)
            }
        }
        var text = ""
        for row in rows {
            var cells: [String] = []
            for column in 0..<columns {
                let cell = column < row.count ? row[column] : ""
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                cells.append(column == 0 ? cell + padding : padding + cell)
            }
            text += cells.joined(separator: "  ") + "\n"
        }
        return text
    }
}
