// Tests for FoldText: accents, case, punctuation, spaces, malformed UTF-8, other scripts.
#include "ingest/text_fold.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace cdp::ingest {
namespace {

const std::pair<std::string_view, std::string_view> kCases[] = {
    // ASCII.
    {"ana", "ana"},
    {"Ana Maria", "ana maria"},
    {"JOSE", "jose"},
    {"28001", "28001"},
    {"", ""},
    {"   ", ""},
    {"---", ""},
    {"  ana   maria  ", "ana maria"},
    {"ana\tmaria\n", "ana maria"},
    {"O'Donnell", "o donnell"},
    {"Garcia-Lopez", "garcia lopez"},
    {"Calle Mayor, 5 (2B)", "calle mayor 5 2b"},
    {"a.b@c", "a b c"},
    {"ana\x01maria\x7f", "ana maria"},
    // Accents and letters with marks.
    {"María", "maria"},
    {"JOSÉ MARÍA", "jose maria"},
    {"Muñoz Ñandú", "munoz nandu"},
    {"Françoise Çelik", "francoise celik"},
    {"Müller Güell", "muller guell"},
    {"Àlex Pérez Ròdenas", "alex perez rodenas"},
    {"Jose\xCC\x81", "jose"},       // a combining acute accent
    {"\xC3\x81NGELES", "angeles"},  // Á
    {"Iñaki Etxeberría", "inaki etxeberria"},
    {"Sant Cugat del Vallès", "sant cugat del valles"},
    {"García-López", "garcia lopez"},
    {"D\xE2\x80\x99"
     "Angelo",
     "d angelo"},                       // a typographic apostrophe
    {"Col\xC2\xB7legi", "col legi"},    // the Catalan middle dot
    {"ana\xC2\xA0maria", "ana maria"},  // a no-break space
    {"Ma\xC2\xAD"
     "ria",
     "maria"},  // a soft hyphen
    {"Calle Mayor 5, 2\xC2\xBA"
     "B",
     "calle mayor 5 2ob"},  // º
    // Case folding beyond ASCII.
    {"Straße", "strasse"},
    {"\xE1\xBA\x9E", "ss"},                                                     // capital sharp s
    {"\xC4\xB0stanbul", "istanbul"},                                            // dotted capital I
    {"\xEF\xAC\x81nca", "finca"},                                               // the fi ligature
    {"\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3\xEF\xBC\x91\xEF\xBC\x92", "abc12"},  // full width
    // Emoji and symbols separate words.
    {"Ana \xF0\x9F\x98\x80 García", "ana garcia"},
    {"\xF0\x9F\x91\x8D", ""},
    {"ana\xE2\x82\xAC"
     "maria",
     "ana maria"},  // €
    // Other scripts: letters kept, case folded, marks removed.
    {"Иван Петров", "иван петров"},
    {"Ελένη", "ελενη"},
    {"王小明", "王小明"},
    {"محمد", "محمد"},
    // Malformed UTF-8 is replaced by a space.
    {"ana\xFFmaria", "ana maria"},
    {"Jos\xC3", "jos"},
    {"\xC3", ""},
    {"\xC0\xAF"
     "a",
     "a"},  // overlong '/'
    {"a\xED\xA0\x80"
     "b",
     "a b"},                   // a UTF-16 surrogate
    {"\xF4\x90\x80\x80", ""},  // past U+10FFFF
    {"Mar\xC3\xAD"
     "a\x80",
     "maria"},
};

TEST(FoldTextTest, FoldsTheTable) {
  for (const auto& [input, folded] : kCases) {
    EXPECT_EQ(FoldText(input), folded) << testing::PrintToString(std::string(input));
  }
}

TEST(FoldTextTest, IsIdempotent) {
  for (const auto& [input, folded] : kCases) {
    EXPECT_EQ(FoldText(folded), folded) << testing::PrintToString(std::string(input));
  }
}

TEST(FoldTextTest, AsciiAgreesWithTheUnicodePath) {
  // The same ASCII text, once alone (fast path) and once beside a non-ASCII letter.
  std::string ascii;
  for (int c = 1; c < 0x80; ++c) ascii += static_cast<char>(c);
  const std::string fast = FoldText(ascii);
  EXPECT_EQ(fast, "0123456789 abcdefghijklmnopqrstuvwxyz abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(FoldText(ascii + " \xC3\xA9"), fast + " e");
}

TEST(FoldTextTest, Latin1AgreesWithTheUnicodePath) {
  // Each of U+00C0..U+00FF in a few contexts, once in Latin-1 text (fast path) and once beside
  // a letter outside Latin-1, which takes the ICU path ("\xC4\x81" is a with a macron).
  for (unsigned c = 0xC0; c <= 0xFF; ++c) {
    const std::string letter = {static_cast<char>(0xC3), static_cast<char>(0x80 + (c - 0xC0))};
    for (const std::string& text : {letter, "x" + letter + "Y", "1" + letter + "2", "A-" + letter,
                                    letter + letter + " " + letter}) {
      const std::string fast = FoldText(text);
      const std::string slow = FoldText(text + " \xC4\x81");
      EXPECT_EQ(slow, fast.empty() ? "a" : fast + " a") << std::hex << c;
    }
  }
  EXPECT_EQ(FoldText("\xC3\x97"), "");  // ×
  EXPECT_EQ(FoldText("2\xC3\x97"
                     "3"),
            "2 3");                             // ×
  EXPECT_EQ(FoldText("\xC3\x86"), "\xC3\xA6");  // Æ -> æ, which has no decomposition
  EXPECT_EQ(FoldText("Stra\xC3\x9F"
                     "e"),
            "strasse");
}

TEST(FoldTextTest, IsSafeFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (std::size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&mismatches, t] {
      for (int i = 0; i < 200; ++i) {
        for (const auto& [input, folded] : kCases) {
          if (FoldText(input) != folded) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace cdp::ingest
