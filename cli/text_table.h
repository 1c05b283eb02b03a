// A plain-text table with left-aligned columns separated by two spaces, for `list` commands.
//
// Example:
//   TextTable table({"NAME", "STATUS"});
//   table.AddRow({"order-1", "Running"});
//   std::cout << table.Render();
//
// Thread safety: not thread-safe; use one table per thread.
#ifndef WEFT_CLI_TEXT_TABLE_H_
#define WEFT_CLI_TEXT_TABLE_H_

#include <string>
#include <vector>

namespace weft::cli {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);

  // Adds a row. Missing cells print empty; extra cells are dropped.
  void AddRow(std::vector<std::string> cells);

  // The header and rows, one line each with a trailing newline; the last column is not
  // padded, so lines carry no trailing spaces.
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

}  // namespace weft::cli

#endif  // WEFT_CLI_TEXT_TABLE_H_
