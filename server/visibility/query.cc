#include "server/visibility/query.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace weft::visibility {
namespace {

enum class Tok {
  kEnd,
  kIdent,
  kString,
  kNumber,
  kLParen,
  kRParen,
  kComma,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  // keywords
  kAnd,
  kOr,
  kNot,
  kIn,
  kBetween,
  kStartsWith,
  kIs,
  kNull,
  kOrder,
  kBy,
  kAsc,
  kDesc,
  kTrue,
  kFalse,
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // identifier, decoded string, number text, or the operator as written
  int column = 0;
};

struct Keyword {
  const char* text;
  Tok tok;
};
constexpr Keyword kKeywords[] = {
    {"AND", Tok::kAnd},   {"OR", Tok::kOr},           {"NOT", Tok::kNot},
    {"IN", Tok::kIn},     {"BETWEEN", Tok::kBetween}, {"STARTS_WITH", Tok::kStartsWith},
    {"IS", Tok::kIs},     {"NULL", Tok::kNull},       {"ORDER", Tok::kOrder},
    {"BY", Tok::kBy},     {"ASC", Tok::kAsc},         {"DESC", Tok::kDesc},
    {"TRUE", Tok::kTrue}, {"FALSE", Tok::kFalse},
};

absl::Status SyntaxError(const std::string& what, int column) {
  if (column <= 0) return absl::InvalidArgumentError(absl::StrCat("query: ", what, " at the end"));
  return absl::InvalidArgumentError(absl::StrCat("query: ", what, " at column ", column));
}

// Splits the text into tokens up front: the text is at most kMaxQueryLength bytes.
absl::StatusOr<std::vector<Token>> Lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int col = static_cast<int>(i) + 1;
    if (std::isspace(c)) {
      ++i;
      continue;
    }
    if (std::isalpha(c) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) {
        ++j;
      }
      Token t{Tok::kIdent, std::string(s.substr(i, j - i)), col};
      std::string upper = absl::AsciiStrToUpper(t.text);
      for (const auto& k : kKeywords) {
        if (upper == k.text) t.kind = k.tok;
      }
      out.push_back(std::move(t));
      i = j;
      continue;
    }
    if (c == '`') {  // a quoted attribute name
      size_t j = s.find('`', i + 1);
      if (j == std::string_view::npos) return SyntaxError("unterminated `name`", col);
      out.push_back({Tok::kIdent, std::string(s.substr(i + 1, j - i - 1)), col});
      i = j + 1;
      continue;
    }
    if (c == '\'' || c == '"') {
      char quote = static_cast<char>(c);
      std::string v;
      size_t j = i + 1;
      bool closed = false;
      while (j < s.size()) {
        char d = s[j];
        if (d == '\\') {
          if (j + 1 >= s.size()) break;
          char e = s[j + 1];
          switch (e) {
            case 'n':
              v += '\n';
              break;
            case 't':
              v += '\t';
              break;
            case 'r':
              v += '\r';
              break;
            case '\\':
            case '\'':
            case '"':
              v += e;
              break;
            default:
              return SyntaxError(absl::StrCat("unknown escape \\", std::string(1, e),
                                              " (use \\\\, \\', \\\", \\n, \\t or \\r)"),
                                 static_cast<int>(j) + 1);
          }
          j += 2;
          continue;
        }
        if (d == quote) {
          if (j + 1 < s.size() && s[j + 1] == quote) {  // '' inside '...'
            v += quote;
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        v += d;
        ++j;
      }
      if (!closed) return SyntaxError("unterminated string (missing closing quote)", col);
      out.push_back({Tok::kString, std::move(v), col});
      i = j;
      continue;
    }
    if (std::isdigit(c) ||
        ((c == '-' || c == '+' || c == '.') && i + 1 < s.size() &&
         (std::isdigit(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '.'))) {
      size_t j = i + 1;
      while (j < s.size()) {
        char d = s[j];
        bool exp_sign = (d == '-' || d == '+') && (s[j - 1] == 'e' || s[j - 1] == 'E');
        if (std::isdigit(static_cast<unsigned char>(d)) || d == '.' || d == 'e' || d == 'E' ||
            exp_sign) {
          ++j;
        } else {
          break;
        }
      }
      out.push_back({Tok::kNumber, std::string(s.substr(i, j - i)), col});
      i = j;
      continue;
    }
    auto two = s.substr(i, 2);
    if (two == "!=" || two == "<>") {
      out.push_back({Tok::kNe, std::string(two), col});
      i += 2;
      continue;
    }
    if (two == "<=") {
      out.push_back({Tok::kLe, "<=", col});
      i += 2;
      continue;
    }
    if (two == ">=") {
      out.push_back({Tok::kGe, ">=", col});
      i += 2;
      continue;
    }
    Tok single = Tok::kEnd;
    switch (c) {
      case '(':
        single = Tok::kLParen;
        break;
      case ')':
        single = Tok::kRParen;
        break;
      case ',':
        single = Tok::kComma;
        break;
      case '=':
        single = Tok::kEq;
        break;
      case '<':
        single = Tok::kLt;
        break;
      case '>':
        single = Tok::kGt;
        break;
      default:
        break;
    }
    if (single == Tok::kEnd) {
      std::string shown = std::isprint(c) ? std::string(1, static_cast<char>(c))
                                          : absl::StrCat("\\x", absl::Hex(c, absl::kZeroPad2));
      return SyntaxError(absl::StrCat("unexpected character '", shown, "'"), col);
    }
    out.push_back({single, std::string(1, static_cast<char>(c)), col});
    ++i;
  }
  out.push_back({Tok::kEnd, "", 0});
  return out;
}

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Tok::kEnd:
      return "the end of the query";
    case Tok::kString:
      return absl::StrCat("the string '", t.text, "'");
    case Tok::kIdent:
      return absl::StrCat("'", t.text, "'");
    default:
      return absl::StrCat("'", t.text, "'");
  }
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  absl::StatusOr<Query> Parse() {
    Query q;
    if (Peek().kind != Tok::kEnd && Peek().kind != Tok::kOrder) {
      auto e = ParseOr(0);
      if (!e.ok()) return e.status();
      q.where = std::move(*e);
    }
    if (Peek().kind == Tok::kOrder) {
      Next();
      if (Peek().kind != Tok::kBy) return Expected("BY after ORDER", Peek());
      Next();
      if (Peek().kind != Tok::kIdent) return Expected("an attribute name after ORDER BY", Peek());
      q.order_by = Next().text;
      q.has_order_by = true;
      if (Peek().kind == Tok::kAsc) {
        q.order_desc = false;
        Next();
      } else if (Peek().kind == Tok::kDesc) {
        q.order_desc = true;
        Next();
      }
    }
    if (Peek().kind != Tok::kEnd) {
      return SyntaxError(absl::StrCat("unexpected ", Describe(Peek()),
                                      " (expected AND, OR, ORDER BY or the end of the query)"),
                         Peek().column);
    }
    return q;
  }

 private:
  const Token& Peek() const { return toks_[pos_]; }
  const Token& Next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  absl::Status Expected(const std::string& what, const Token& got) {
    return SyntaxError(absl::StrCat("expected ", what, ", found ", Describe(got)), got.column);
  }

  absl::StatusOr<std::unique_ptr<Expr>> ParseOr(int depth) {
    if (depth > kMaxDepth) {
      return SyntaxError(absl::StrCat("the query nests deeper than ", kMaxDepth, " levels"),
                         Peek().column);
    }
    auto lhs = ParseAnd(depth);
    if (!lhs.ok()) return lhs;
    std::unique_ptr<Expr> e = std::move(*lhs);
    while (Peek().kind == Tok::kOr) {
      Next();
      auto rhs = ParseAnd(depth);
      if (!rhs.ok()) return rhs;
      auto n = std::make_unique<Expr>();
      n->kind = Expr::Kind::kOr;
      n->lhs = std::move(e);
      n->rhs = std::move(*rhs);
      e = std::move(n);
    }
    return e;
  }

  absl::StatusOr<std::unique_ptr<Expr>> ParseAnd(int depth) {
    auto lhs = ParseNot(depth);
    if (!lhs.ok()) return lhs;
    std::unique_ptr<Expr> e = std::move(*lhs);
    while (Peek().kind == Tok::kAnd) {
      Next();
      auto rhs = ParseNot(depth);
      if (!rhs.ok()) return rhs;
      e = And(std::move(e), std::move(*rhs));
    }
    return e;
  }

  absl::StatusOr<std::unique_ptr<Expr>> ParseNot(int depth) {
    if (Peek().kind == Tok::kNot) {
      if (depth + 1 > kMaxDepth) {
        return SyntaxError(absl::StrCat("the query nests deeper than ", kMaxDepth, " levels"),
                           Peek().column);
      }
      Next();
      auto inner = ParseNot(depth + 1);
      if (!inner.ok()) return inner;
      auto n = std::make_unique<Expr>();
      n->kind = Expr::Kind::kNot;
      n->lhs = std::move(*inner);
      return n;
    }
    if (Peek().kind == Tok::kLParen) {
      Next();
      auto inner = ParseOr(depth + 1);
      if (!inner.ok()) return inner;
      if (Peek().kind != Tok::kRParen) return Expected("')'", Peek());
      Next();
      return inner;
    }
    return ParsePredicate();
  }

  absl::StatusOr<Literal> ParseValue(const std::string& after) {
    const Token& t = Peek();
    Literal l;
    l.column = t.column;
    switch (t.kind) {
      case Tok::kString:
        l.kind = Literal::Kind::kString;
        l.str = t.text;
        break;
      case Tok::kTrue:
      case Tok::kFalse:
        l.kind = Literal::Kind::kBool;
        l.b = t.kind == Tok::kTrue;
        break;
      case Tok::kNumber: {
        const std::string& n = t.text;
        bool is_int = n.find_first_of(".eE") == std::string::npos;
        if (is_int) {
          int64_t v = 0;
          const char* b = n.data() + (n[0] == '+' ? 1 : 0);
          auto r = std::from_chars(b, n.data() + n.size(), v);
          if (r.ec != std::errc() || r.ptr != n.data() + n.size()) {
            return SyntaxError(absl::StrCat("'", n, "' is not a 64-bit integer"), t.column);
          }
          l.kind = Literal::Kind::kInt;
          l.i = v;
          l.d = static_cast<double>(v);
        } else {
          char* end = nullptr;
          std::string copy = n;
          double v = std::strtod(copy.c_str(), &end);
          if (end != copy.c_str() + copy.size() || !std::isfinite(v)) {
            return SyntaxError(absl::StrCat("'", n, "' is not a number"), t.column);
          }
          l.kind = Literal::Kind::kDouble;
          l.d = v;
        }
        break;
      }
      default:
        return Expected(absl::StrCat("a value after ", after), t);
    }
    Next();
    return l;
  }

  absl::StatusOr<std::unique_ptr<Expr>> ParsePredicate() {
    const Token& name = Peek();
    if (name.kind != Tok::kIdent) {
      return Expected("an attribute name (e.g. WorkflowType) or '('", name);
    }
    auto e = std::make_unique<Expr>();
    e->name = name.text;
    e->name_column = name.column;
    Next();
    const Token& op = Peek();
    switch (op.kind) {
      case Tok::kEq:
      case Tok::kNe:
      case Tok::kLt:
      case Tok::kLe:
      case Tok::kGt:
      case Tok::kGe: {
        e->kind = Expr::Kind::kCompare;
        e->op = op.kind == Tok::kEq   ? CmpOp::kEq
                : op.kind == Tok::kNe ? CmpOp::kNe
                : op.kind == Tok::kLt ? CmpOp::kLt
                : op.kind == Tok::kLe ? CmpOp::kLe
                : op.kind == Tok::kGt ? CmpOp::kGt
                                      : CmpOp::kGe;
        std::string after = absl::StrCat("'", op.text, "'");
        Next();
        auto v = ParseValue(after);
        if (!v.ok()) return v.status();
        e->literals.push_back(std::move(*v));
        return e;
      }
      case Tok::kStartsWith: {
        e->kind = Expr::Kind::kStartsWith;
        Next();
        auto v = ParseValue("STARTS_WITH");
        if (!v.ok()) return v.status();
        e->literals.push_back(std::move(*v));
        return e;
      }
      case Tok::kIs: {
        Next();
        bool negated = false;
        if (Peek().kind == Tok::kNot) {
          negated = true;
          Next();
        }
        if (Peek().kind != Tok::kNull) return Expected("NULL after IS", Peek());
        Next();
        e->kind = negated ? Expr::Kind::kIsNotNull : Expr::Kind::kIsNull;
        return e;
      }
      case Tok::kNot:
      case Tok::kIn:
      case Tok::kBetween: {
        if (op.kind == Tok::kNot) {
          e->negated = true;
          Next();
          if (Peek().kind != Tok::kIn && Peek().kind != Tok::kBetween) {
            return Expected("IN or BETWEEN after NOT", Peek());
          }
        }
        if (Peek().kind == Tok::kBetween) {
          e->kind = Expr::Kind::kBetween;
          Next();
          auto lo = ParseValue("BETWEEN");
          if (!lo.ok()) return lo.status();
          if (Peek().kind != Tok::kAnd) return Expected("AND in BETWEEN .. AND ..", Peek());
          Next();
          auto hi = ParseValue("BETWEEN .. AND");
          if (!hi.ok()) return hi.status();
          e->literals.push_back(std::move(*lo));
          e->literals.push_back(std::move(*hi));
          return e;
        }
        e->kind = Expr::Kind::kIn;
        Next();
        if (Peek().kind != Tok::kLParen) return Expected("'(' after IN", Peek());
        Next();
        while (true) {
          auto v = ParseValue(e->literals.empty() ? "IN (" : "','");
          if (!v.ok()) return v.status();
          e->literals.push_back(std::move(*v));
          if (e->literals.size() > kMaxInValues) {
            return SyntaxError(absl::StrCat("IN lists at most ", kMaxInValues, " values"),
                               e->literals.back().column);
          }
          if (Peek().kind == Tok::kComma) {
            Next();
            continue;
          }
          if (Peek().kind == Tok::kRParen) {
            Next();
            break;
          }
          return Expected("',' or ')' in the IN list", Peek());
        }
        return e;
      }
      default:
        return Expected(absl::StrCat("an operator (=, !=, <, <=, >, >=, IN, BETWEEN, "
                                     "STARTS_WITH, IS NULL) after '",
                                     e->name, "'"),
                        op);
    }
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
};

// The name as the lexer reads it back: bare when it is a plain identifier and no keyword.
std::string NameText(const std::string& name) {
  bool plain =
      !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  std::string upper = absl::AsciiStrToUpper(name);
  for (const auto& k : kKeywords) plain = plain && upper != k.text;
  return plain ? name : absl::StrCat("`", name, "`");
}

std::string LiteralText(const Literal& l) {
  switch (l.kind) {
    case Literal::Kind::kString: {
      std::string out = "'";
      for (char c : l.str) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
      }
      return out + "'";
    }
    case Literal::Kind::kInt:
      return absl::StrCat(l.i);
    case Literal::Kind::kDouble:
      return absl::StrCat(l.d == 0 ? 0.0 : l.d);  // -0 prints as 0
    case Literal::Kind::kBool:
      return l.b ? "true" : "false";
  }
  return "";
}

}  // namespace

int Compare(const Value& a, const Value& b) {
  if (a.kind == Value::Kind::kString && b.kind == Value::Kind::kString) {
    return a.s < b.s ? -1 : (a.s == b.s ? 0 : 1);
  }
  if (a.kind == Value::Kind::kInt && b.kind == Value::Kind::kInt) {
    return a.i < b.i ? -1 : (a.i == b.i ? 0 : 1);
  }
  double x = a.kind == Value::Kind::kInt ? static_cast<double>(a.i) : a.d;
  double y = b.kind == Value::Kind::kInt ? static_cast<double>(b.i) : b.d;
  return x < y ? -1 : (x == y ? 0 : 1);
}

const char* CmpOpText(CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return "=";
    case CmpOp::kNe:
      return "!=";
    case CmpOp::kLt:
      return "<";
    case CmpOp::kLe:
      return "<=";
    case CmpOp::kGt:
      return ">";
    case CmpOp::kGe:
      return ">=";
  }
  return "?";
}

std::unique_ptr<Expr> Expr::Clone() const {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  if (lhs) e->lhs = lhs->Clone();
  if (rhs) e->rhs = rhs->Clone();
  e->name = name;
  e->name_column = name_column;
  e->op = op;
  e->negated = negated;
  e->literals = literals;
  e->values = values;
  return e;
}

absl::StatusOr<Query> ParseQuery(std::string_view text) {
  if (text.size() > kMaxQueryLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query: ", text.size(), " bytes is longer than the limit of ", kMaxQueryLength, " bytes"));
  }
  auto toks = Lex(text);
  if (!toks.ok()) return toks.status();
  return Parser(std::move(*toks)).Parse();
}

std::unique_ptr<Expr> And(std::unique_ptr<Expr> a, std::unique_ptr<Expr> b) {
  if (!a) return b;
  if (!b) return a;
  auto n = std::make_unique<Expr>();
  n->kind = Expr::Kind::kAnd;
  n->lhs = std::move(a);
  n->rhs = std::move(b);
  return n;
}

std::string ToString(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kAnd:
      return absl::StrCat("(", ToString(*e.lhs), " AND ", ToString(*e.rhs), ")");
    case Expr::Kind::kOr:
      return absl::StrCat("(", ToString(*e.lhs), " OR ", ToString(*e.rhs), ")");
    case Expr::Kind::kNot:
      return absl::StrCat("NOT ", ToString(*e.lhs));
    case Expr::Kind::kCompare:
      return absl::StrCat(NameText(e.name), " ", CmpOpText(e.op), " ", LiteralText(e.literals[0]));
    case Expr::Kind::kIn: {
      std::vector<std::string> vs;
      for (const auto& l : e.literals) vs.push_back(LiteralText(l));
      return absl::StrCat(NameText(e.name), e.negated ? " NOT IN (" : " IN (",
                          absl::StrJoin(vs, ", "), ")");
    }
    case Expr::Kind::kBetween:
      return absl::StrCat(NameText(e.name), e.negated ? " NOT BETWEEN " : " BETWEEN ",
                          LiteralText(e.literals[0]), " AND ", LiteralText(e.literals[1]));
    case Expr::Kind::kStartsWith:
      return absl::StrCat(NameText(e.name), " STARTS_WITH ", LiteralText(e.literals[0]));
    case Expr::Kind::kIsNull:
      return absl::StrCat(NameText(e.name), " IS NULL");
    case Expr::Kind::kIsNotNull:
      return absl::StrCat(NameText(e.name), " IS NOT NULL");
  }
  return "";
}

}  // namespace weft::visibility
