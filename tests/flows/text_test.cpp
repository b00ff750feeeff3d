#include "flows/text.hpp"

#include <catch2/catch.hpp>

#include "tests/flows/flow_fixture.hpp"

using gvo::flows::edit_distance;

TEST_CASE("folding makes what people type comparable") {
  const auto& folder = gvo::test::flow_world().folder;
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"Hier", "hier"},
      {"  HIER !! ", "hier"},
      {"Aujourd’hui", "aujourd hui"},
      {"Côte d'Ivoire", "cote d ivoire"},
      {"Ñúñez", "nunez"},
      {"avant-hier", "avant-hier"},
      {"12/03/2026", "12/03/2026"},
      {"٢٥/١١", "25/11"},
      {"۲۵", "25"},
      {"أمس", "امس"},
      {"مُحَمَّد", "محمد"},
      {"مغربية", "مغربيه"},
      {"ــمرحبا", "مرحبا"},
      {"tab\tand\nnewline", "tab and newline"},
      {"👍 ok", "ok"},
      {"", ""},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    CHECK(folder.fold(c.in) == c.out);
  }
  CHECK(folder.fold("\xff\xfe").empty());  // not UTF-8: nothing to compare
  CHECK(gvo::flows::fold_words(folder, "Congo - Kinshasa") == "congo kinshasa");
}

TEST_CASE("Latin keys compare names across scripts and spellings") {
  const auto& folder = gvo::test::flow_world().folder;
  CHECK(folder.latin_key("EL AMRANI, Mohamed") == "el amrani mohamed");
  CHECK(folder.latin_key("محمد العمراني") == "mhmd almrany");
  CHECK(folder.latin_key("Мухаммад") == "muhammad");
  CHECK(folder.latin_key("Müller-Lüdenscheidt") == "muller ludenscheidt");
  CHECK(folder.latin_key("  ") == "");
}

TEST_CASE("edit distances count adjacent swaps as one edit and stop past their limit") {
  CHECK(edit_distance("marocain", "marocain", 2) == 0);
  CHECK(edit_distance("marrocain", "marocain", 2) == 1);  // insertion
  CHECK(edit_distance("maroacin", "marocain", 2) == 1);   // swap
  CHECK(edit_distance("morocan", "moroccan", 2) == 1);
  CHECK(edit_distance("mrocain", "marocain", 2) == 1);
  CHECK(edit_distance("مغربي", "مغربى", 2) == 1);  // over code points, not bytes
  CHECK(edit_distance("abc", "xyz", 5) == 3);
  CHECK(edit_distance("abc", "xyz", 1) == 2);  // past the limit: limit + 1
  CHECK(edit_distance("a", "abcdefgh", 2) == 3);
  CHECK(edit_distance("", "", 0) == 0);
  CHECK(edit_distance("", "ab", 3) == 2);
}

TEST_CASE("phrases match whole words only, tidy keeps the text but its spacing") {
  CHECK(gvo::flows::contains_phrase("il est marocain", "marocain"));
  CHECK(gvo::flows::contains_phrase("centre ferme de vottem", "ferme de vottem"));
  CHECK_FALSE(gvo::flows::contains_phrase("inde", "in"));
  CHECK_FALSE(gvo::flows::contains_phrase("guinee bissau", "bissa"));
  CHECK_FALSE(gvo::flows::contains_phrase("x", ""));
  CHECK(gvo::flows::tidy("  a \t b\n") == "a b");
  CHECK(gvo::flows::tidy("\xE2\x80\x8B a") == "a");  // zero-width space
  CHECK(gvo::flows::is_valid_utf8("محمد"));
  CHECK_FALSE(gvo::flows::is_valid_utf8("\xc3"));
  CHECK_FALSE(gvo::flows::is_valid_utf8("\xed\xa0\x80"));  // a lone surrogate
  CHECK(gvo::flows::code_points("محمد") == 4);
}
