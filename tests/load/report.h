// Load testing: the report, printed as a table and written as flat JSON.
#ifndef VTPM_TESTS_LOAD_REPORT_H_
#define VTPM_TESTS_LOAD_REPORT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vtpm::load {

class Report {
 public:
  // Starts a titled section of the table (not in the JSON).
  void Section(const std::string& title);
  // Adds a row `label` to the table and `key` to the JSON. Num formats the
  // table value with `fmt` (one double); non-finite values are JSON null.
  void Num(const std::string& key, const std::string& label, double v,
           const char* fmt = "%.1f");
  void Int(const std::string& key, const std::string& label, int64_t v);
  void Str(const std::string& key, const std::string& label,
           const std::string& v);

  // Prints the table to stdout.
  void Print() const;
  // One JSON object with every key in insertion order.
  std::string Json() const;

 private:
  std::vector<std::pair<std::string, std::string>> rows_;  // label, value
  std::vector<std::pair<std::string, std::string>> json_;  // key, JSON value
};

}  // namespace vtpm::load

#endif  // VTPM_TESTS_LOAD_REPORT_H_
