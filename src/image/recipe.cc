#include "image/recipe.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

namespace stratus {
namespace {

struct Line {
  int number = 0;
  std::string text;
};

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && isspace(static_cast<unsigned char>(s[b]))) b++;
  while (e > b && isspace(static_cast<unsigned char>(s[e - 1]))) e--;
  return std::string(s.substr(b, e - b));
}

// Joins continuation lines, drops comments and blank lines.
std::vector<Line> LogicalLines(std::string_view text) {
  std::vector<Line> out;
  Line cur;
  bool continuing = false;
  int number = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view raw = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    number++;
    std::string t = Trim(raw);
    if (!continuing && (t.empty() || t[0] == '#')) {
      // nothing
    } else {
      if (!continuing) cur = Line{number, ""};
      bool cont = !t.empty() && t.back() == '\\';
      if (cont) t.pop_back();
      if (!cur.text.empty() && !t.empty()) cur.text += ' ';
      cur.text += Trim(t);
      continuing = cont;
      if (!continuing) out.push_back(cur);
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  if (continuing) out.push_back(cur);
  return out;
}

Status LineError(int line, const std::string& message) {
  return InvalidArgument("line " + std::to_string(line) + ": " + message).WithErrorCode("InvalidRecipe");
}

bool ParseInt(const std::string& s, int base, long min, long max, int* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  long v = strtol(s.c_str(), &end, base);
  if (*end != '\0' || v < min || v > max) return false;
  *out = static_cast<int>(v);
  return true;
}

bool ValidEnvKey(const std::string& k) {
  if (k.empty() || isdigit(static_cast<unsigned char>(k[0]))) return false;
  return std::all_of(k.begin(), k.end(), [](char c) { return isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

bool ValidOwnerPart(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; });
}

class Parser {
 public:
  Result<Recipe> Parse(std::string_view text) {
    for (const Line& l : LogicalLines(text)) {
      line_ = l.number;
      size_t sp = l.text.find_first_of(" \t");
      std::string word = l.text.substr(0, sp);
      std::string rest = sp == std::string::npos ? "" : Trim(std::string_view(l.text).substr(sp));
      STRATUS_RETURN_IF_ERROR(Directive(word, rest, l.text));
    }
    if (!have_base_) return InvalidArgument("the recipe has no base line (base scratch|busybox|debian|IMAGE)")
                                .WithErrorCode("InvalidRecipe");
    std::sort(r_.packages.begin(), r_.packages.end());
    r_.packages.erase(std::unique(r_.packages.begin(), r_.packages.end()), r_.packages.end());
    return r_;
  }

 private:
  Status Directive(const std::string& word, const std::string& rest, const std::string& whole) {
    static const std::map<std::string, Status (Parser::*)(const std::string&, const std::string&)> kTable = {
        {"base", &Parser::Base},       {"packages", &Parser::Packages}, {"file", &Parser::File},
        {"run", &Parser::Run},         {"env", &Parser::Env},           {"service", &Parser::Service},
        {"port", &Parser::Port},       {"healthcheck", &Parser::Health}, {"sysctl", &Parser::Sysctl},
        {"description", &Parser::Description},
    };
    auto it = kTable.find(word);
    if (it == kTable.end()) {
      return Error("unknown directive \"" + word +
                   "\" (expected base, packages, file, run, env, service, port, healthcheck, sysctl or description)");
    }
    if (word != "base" && word != "description" && !have_base_) return Error("the first directive must be base");
    return (this->*(it->second))(rest, whole);
  }

  Status Error(const std::string& m) const { return LineError(line_, m); }

  Status Base(const std::string& rest, const std::string&) {
    if (have_base_) return Error("base given twice (first on line " + std::to_string(r_.base_line) + ")");
    auto words = SplitWords(rest);
    if (!words.ok()) return Error(words.status().message());
    if (words->empty() || words->size() > 2) return Error("base needs one of scratch, busybox, debian [SUITE], IMAGE");
    const std::string& b = (*words)[0];
    if (words->size() == 2 && b != "debian") return Error("only the debian base takes a second word (the suite)");
    r_.base = b == "scratch" ? BaseKind::kScratch : b == "busybox" ? BaseKind::kBusybox
            : b == "debian"  ? BaseKind::kDebian  : BaseKind::kImage;
    if (r_.base == BaseKind::kDebian && words->size() == 2) r_.base_ref = (*words)[1];
    if (r_.base == BaseKind::kImage) r_.base_ref = b;
    if (r_.base == BaseKind::kDebian && !r_.base_ref.empty() &&
        !std::all_of(r_.base_ref.begin(), r_.base_ref.end(), [](char c) { return islower(c) || c == '-'; })) {
      return Error("debian suite \"" + r_.base_ref + "\" is not a suite name (e.g. bookworm)");
    }
    r_.base_line = line_;
    have_base_ = true;
    return Status::Ok();
  }

  Status Packages(const std::string& rest, const std::string&) {
    if (r_.base != BaseKind::kDebian) return Error("packages needs base debian (use a run step with your own tool)");
    if (!r_.steps.empty()) return Error("packages must come before the first file or run step (they go into the base)");
    auto words = SplitWords(rest);
    if (!words.ok()) return Error(words.status().message());
    if (words->empty()) return Error("packages needs at least one package name");
    for (const auto& p : *words) {
      bool ok = !p.empty() && islower(static_cast<unsigned char>(p[0])) | isdigit(static_cast<unsigned char>(p[0]));
      for (char c : p) ok = ok && (islower(c) || isdigit(c) || c == '+' || c == '-' || c == '.');
      if (!ok) return Error("\"" + p + "\" is not a Debian package name");
      r_.packages.push_back(p);
    }
    return Status::Ok();
  }

  Status File(const std::string& rest, const std::string& whole) {
    auto words = SplitWords(rest);
    if (!words.ok()) return Error(words.status().message());
    if (words->size() < 2) return Error("file needs SRC DEST [mode=0644] [owner=USER:GROUP]");
    RecipeStep s;
    s.kind = StepKind::kFile;
    s.line = line_;
    s.text = whole;
    s.source = (*words)[0];
    s.destination = (*words)[1];
    if (s.source.front() == '/' || ("/" + s.source + "/").find("/../") != std::string::npos) {
      return Error("file source " + s.source + " must be a path inside the build context (relative, no ..)");
    }
    if (s.destination.front() != '/' || (s.destination + "/").find("/../") != std::string::npos) {
      return Error("file destination " + s.destination + " must be an absolute path without ..");
    }
    for (size_t i = 2; i < words->size(); i++) {
      const std::string& opt = (*words)[i];
      if (opt.rfind("mode=", 0) == 0) {
        if (!ParseInt(opt.substr(5), 8, 0, 07777, &s.mode)) return Error("mode " + opt.substr(5) + " is not octal 0000-7777");
      } else if (opt.rfind("owner=", 0) == 0) {
        s.owner = opt.substr(6);
        auto colon = s.owner.find(':');
        std::string user = s.owner.substr(0, colon);
        std::string group = colon == std::string::npos ? user : s.owner.substr(colon + 1);
        if (!ValidOwnerPart(user) || !ValidOwnerPart(group)) return Error("owner " + s.owner + " is not USER[:GROUP]");
        s.owner = user + ":" + group;
      } else {
        return Error("unknown file option \"" + opt + "\" (expected mode=OCTAL or owner=USER:GROUP)");
      }
    }
    r_.steps.push_back(std::move(s));
    return Status::Ok();
  }

  Status Run(const std::string& rest, const std::string& whole) {
    if (rest.empty()) return Error("run needs a shell command");
    if (r_.base == BaseKind::kScratch) return Error("run needs a shell in the image; the scratch base has none");
    RecipeStep s;
    s.kind = StepKind::kRun;
    s.line = line_;
    s.text = whole;
    s.command = rest;
    s.env = r_.config.env;
    r_.steps.push_back(std::move(s));
    return Status::Ok();
  }

  Status Env(const std::string& rest, const std::string&) {
    auto eq = rest.find('=');
    std::string key = rest.substr(0, eq);
    if (eq == std::string::npos || !ValidEnvKey(key)) return Error("env needs KEY=VALUE with a KEY of letters, digits and _");
    std::string value = rest.substr(eq + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    auto& env = r_.config.env;
    env.erase(std::remove_if(env.begin(), env.end(), [&](const std::string& e) { return e.rfind(key + "=", 0) == 0; }),
              env.end());
    env.push_back(key + "=" + value);
    return Status::Ok();
  }

  Status Service(const std::string& rest, const std::string&) {
    auto words = SplitWords(rest);
    if (!words.ok()) return Error(words.status().message());
    if (words->size() < 2) return Error("service needs NAME [restart=POLICY] COMMAND [ARGS...]");
    ServiceSpec s;
    s.name = (*words)[0];
    if (!ValidOwnerPart(s.name)) return Error("service name " + s.name + " must be letters, digits, _ - .");
    for (const auto& other : r_.config.services) {
      if (other.name == s.name) return Error("service " + s.name + " is defined twice");
    }
    size_t i = 1;
    if ((*words)[1].rfind("restart=", 0) == 0) {
      auto policy = ParseRestartPolicy((*words)[1].substr(8));
      if (!policy.ok()) return Error("restart policy must be always, on-failure or never");
      s.restart = *policy;
      i = 2;
    }
    if (i >= words->size()) return Error("service " + s.name + " has no command");
    s.command.assign(words->begin() + static_cast<long>(i), words->end());
    r_.config.services.push_back(std::move(s));
    return Status::Ok();
  }

  Status Port(const std::string& rest, const std::string&) {
    auto words = SplitWords(rest);
    if (!words.ok() || words->empty()) return Error("port needs a number");
    for (const auto& w : *words) {
      int p = 0;
      if (!ParseInt(w, 10, 1, 65535, &p)) return Error("port " + w + " is not 1-65535");
      r_.config.ports.push_back(p);
    }
    return Status::Ok();
  }

  Status Health(const std::string& rest, const std::string&) {
    auto words = SplitWords(rest);
    if (!words.ok() || words->size() < 2 || words->size() > 4) {
      return Error("healthcheck needs http PORT [PATH [MATCHER]] or tcp PORT");
    }
    HealthCheckSpec hc;
    std::string proto = (*words)[0];
    std::transform(proto.begin(), proto.end(), proto.begin(), ::toupper);
    if (proto != "HTTP" && proto != "TCP") return Error("healthcheck protocol must be http or tcp");
    hc.protocol = proto;
    if (!ParseInt((*words)[1], 10, 1, 65535, &hc.port)) return Error("healthcheck port " + (*words)[1] + " is not 1-65535");
    if (proto == "TCP" && words->size() > 2) return Error("a tcp healthcheck takes only a port");
    if (words->size() > 2) {
      hc.path = (*words)[2];
      if (hc.path.front() != '/') return Error("healthcheck path must start with /");
    }
    if (words->size() > 3) {
      hc.matcher = (*words)[3];
      bool ok = !hc.matcher.empty();
      for (char c : hc.matcher) ok = ok && (isdigit(c) || c == '-' || c == ',');
      if (!ok) return Error("healthcheck matcher must look like 200 or 200-399 or 200,302");
    }
    r_.config.health_check = hc;
    return Status::Ok();
  }

  Status Sysctl(const std::string& rest, const std::string&) {
    auto eq = rest.find('=');
    if (eq == std::string::npos) return Error("sysctl needs KEY=VALUE (e.g. net.core.somaxconn=1024)");
    std::string key = Trim(rest.substr(0, eq));
    std::string value = Trim(rest.substr(eq + 1));
    bool ok = !key.empty() && !value.empty() && key.find("..") == std::string::npos;
    for (char c : key) ok = ok && (isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
    if (!ok) return Error("sysctl " + rest + " is not KEY=VALUE with a dotted key");
    auto& s = r_.config.sysctls;
    s.erase(std::remove_if(s.begin(), s.end(), [&](const auto& kv) { return kv.first == key; }), s.end());
    s.emplace_back(key, value);
    return Status::Ok();
  }

  Status Description(const std::string& rest, const std::string&) {
    r_.description = rest;
    return Status::Ok();
  }

  Recipe r_;
  bool have_base_ = false;
  int line_ = 0;
};

}  // namespace

Result<std::vector<std::string>> SplitWords(std::string_view s) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\')) {
        cur += s[++i];
      } else {
        cur += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
      in_word = true;
    } else if (isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote) return InvalidArgument(std::string("unterminated ") + quote + " quote");
  if (in_word) words.push_back(std::move(cur));
  return words;
}

Result<Recipe> ParseRecipe(std::string_view text) { return Parser().Parse(text); }

}  // namespace stratus
