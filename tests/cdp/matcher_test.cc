// Tests for cdp/matcher.h through the identity graph it resolves records for: probabilistic
// links with their evidence, namesakes kept apart, conflicts and cannot-links overriding any
// score, record-to-cluster scoring refusing a chain, blocking caps and the review queue.
#include "cdp/matcher.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cdp/identity_graph.h"

namespace cdp {
namespace {

PersonRecord Maria() {
  PersonRecord p;
  p.given = "maria";
  p.surname1 = "garcia";
  p.surname2 = "lopez";
  p.birth = BirthDate{1980, 5, 17};
  p.street = "calle mayor 5";
  p.city = "madrid";
  p.postal_code = "28013";
  p.gender = Gender::kFemale;
  return p;
}

// Maria on the phone: her names and a phone, nothing else.
PersonRecord MariaOnThePhone() {
  PersonRecord p;
  p.given = "maria";
  p.surname1 = "garcia";
  p.surname2 = "lopez";
  p.phone = "+34612000111";
  return p;
}

Timestamp At(int seconds) { return Timestamp(std::chrono::seconds(1'700'000'000 + seconds)); }

// An event with the given identifiers (in type order) and, when `person` is set, its record.
Event MakeEvent(const std::string& message_id, std::vector<Identifier> ids,
                const std::optional<PersonRecord>& person, int at) {
  Event e;
  e.type = EventType::kIdentify;
  e.message_id = message_id;
  e.timestamp = At(at);
  e.received_at = e.timestamp;
  e.identifiers = std::move(ids);
  if (person) {
    e.person = *person;
    e.identifiers.push_back(
        Identifier{kPersonRecord, EncodePersonRecord(*person), true, IdentifierSource::kMessage});
  }
  return e;
}

Identifier Id(IdentifierType type, std::string value) {
  return Identifier{type, std::move(value), true, IdentifierSource::kMessage};
}

// A graph with a matcher of its own, for a run with other options beside the fixture's.
struct GraphWithMatcher {
  explicit GraphWithMatcher(const MatcherOptions& options)
      : matcher(options, MatchModel::Defaults()) {
    graph.SetRecordResolver(&matcher);
  }
  void Apply(const Event& e) { graph.ApplyEvent(e, ++sequence); }
  std::optional<std::uint64_t> ProfileOf(const std::string& anonymous_id) const {
    return graph.FindProfile(kAnonymousId, anonymous_id);
  }

  IdentityGraph graph{IdentityConfig::Defaults()};
  Matcher matcher;
  std::uint64_t sequence = 0;
};

class MatcherTest : public ::testing::Test {
 protected:
  MatcherTest() : graph_(IdentityConfig::Defaults()), matcher_(Options(), MatchModel::Defaults()) {
    graph_.SetRecordResolver(&matcher_);
  }
  static MatcherOptions Options() {
    MatcherOptions o;
    o.link_threshold = 12;
    o.review_threshold = 4;
    return o;
  }

  void Apply(const Event& e) { graph_.ApplyEvent(e, ++sequence_); }
  std::uint64_t ProfileOf(const std::string& anonymous_id) const {
    return graph_.FindProfile(kAnonymousId, anonymous_id).value_or(0);
  }

  IdentityGraph graph_;
  Matcher matcher_;
  std::uint64_t sequence_ = 0;
};

TEST_F(MatcherTest, AMatchingRecordLinksIntoTheProfileWithItsEvidence) {
  Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, Maria(), 1));
  PersonRecord office = Maria();
  office.street = "c mayor 5";  // written differently
  Apply(MakeEvent("m2", {Id(kAnonymousId, "a2")}, office, 2));
  ASSERT_NE(ProfileOf("a1"), 0u);
  EXPECT_EQ(ProfileOf("a1"), ProfileOf("a2"));
  EXPECT_EQ(matcher_.Stats().links, 1u);

  GraphDelta delta;
  graph_.TakeDelta(&delta);
  const EdgeRecord* probabilistic = nullptr;
  for (const EdgeRecord& e : delta.edges) {
    if (e.rule == LinkRule::kProbabilistic) probabilistic = &e;
  }
  ASSERT_NE(probabilistic, nullptr);
  ASSERT_TRUE(probabilistic->match.has_value());
  const MatchEvidence& m = *probabilistic->match;
  EXPECT_EQ(probabilistic->evidence_message, "m2");
  EXPECT_GE(m.weight, 12.0f);
  float sum = m.prior;
  for (const FieldContribution& f : m.fields) sum += f.weight;
  EXPECT_NEAR(sum, m.weight, 1e-3);
  // The linked record took the older profile's id: no throwaway profile was created.
  EXPECT_EQ(graph_.Stats().merges, 0u);
}

TEST_F(MatcherTest, ARecordSeenAgainIsNotResolvedAgain) {
  Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, Maria(), 1));
  Apply(MakeEvent("m2", {Id(kAnonymousId, "a2")}, Maria(), 2));
  // Same attributes: the same record node, linked by co-occurrence, not by the matcher.
  EXPECT_EQ(ProfileOf("a1"), ProfileOf("a2"));
  EXPECT_EQ(matcher_.Stats().resolved, 1u);
  EXPECT_EQ(matcher_.Stats().records, 1u);
}

TEST_F(MatcherTest, ANamesakeWithAnotherBirthDateAndAddressStaysApart) {
  Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, Maria(), 1));
  PersonRecord namesake = Maria();
  namesake.birth = BirthDate{1975, 2, 2};
  namesake.street = "avenida america 12";
  namesake.postal_code = "28002";
  Apply(MakeEvent("m2", {Id(kAnonymousId, "a2")}, namesake, 2));
  EXPECT_NE(ProfileOf("a1"), ProfileOf("a2"));
  EXPECT_EQ(matcher_.Stats().links, 0u);
  EXPECT_EQ(matcher_.Stats().reviews_pending, 0u);
}

TEST_F(MatcherTest, TwoDifferentValidNationalIdsForbidTheLinkWhateverTheScore) {
  Apply(MakeEvent("m1", {Id(kNationalId, "12345678Z"), Id(kAnonymousId, "a1")}, Maria(), 1));
  PersonRecord same = Maria();
  same.street = "c mayor 5";
  Apply(MakeEvent("m2", {Id(kNationalId, "87654321X"), Id(kAnonymousId, "a2")}, same, 2));
  EXPECT_NE(ProfileOf("a1"), ProfileOf("a2"));
  EXPECT_EQ(matcher_.Stats().links, 0u);
  EXPECT_EQ(matcher_.Stats().refused, 1u);
  EXPECT_EQ(matcher_.Stats().reviews_pending, 0u);
}

TEST_F(MatcherTest, IdentifierChecksComeApartFromTheRecordsCompatibility) {
  // Two clearly different people (names, birth date, gender) with no identifier in common.
  Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, Maria(), 1));
  PersonRecord other;
  other.given = "jorge";
  other.surname1 = "navarro";
  other.surname2 = "ruiz";
  other.birth = BirthDate{1951, 11, 2};
  other.gender = Gender::kMale;
  Apply(MakeEvent("m2", {Id(kAnonymousId, "a2")}, other, 2));
  const std::uint32_t a1 = *graph_.FindNode(kAnonymousId, "a1");
  const std::uint32_t a2 = *graph_.FindNode(kAnonymousId, "a2");
  const std::uint32_t maria = *graph_.FindNode(kPersonRecord, EncodePersonRecord(Maria()));
  EXPECT_TRUE(graph_.CanLinkByIdentifiers(a1, a2));  // no identifier limit is broken
  EXPECT_FALSE(graph_.CanLink(a1, a2));              // the records contradict each other
  // ProfileKey: equal exactly when two nodes share a profile.
  EXPECT_EQ(graph_.ProfileKey(a1), graph_.ProfileKey(maria));
  EXPECT_NE(graph_.ProfileKey(a1), graph_.ProfileKey(a2));

  // Two valid national ids: refused by the identifiers alone.
  Apply(MakeEvent("m3", {Id(kNationalId, "12345678Z"), Id(kAnonymousId, "a1")}, std::nullopt, 3));
  PersonRecord same = Maria();
  same.street = "c mayor 5";
  Apply(MakeEvent("m4", {Id(kNationalId, "87654321X"), Id(kAnonymousId, "a3")}, same, 4));
  const std::uint32_t a3 = *graph_.FindNode(kAnonymousId, "a3");
  EXPECT_FALSE(graph_.CanLinkByIdentifiers(a1, a3));
  EXPECT_FALSE(graph_.CanLink(a1, a3));
}

TEST_F(MatcherTest, ARecordBringsItsProfilesOtherRecordsToTheComparison) {
  // A phone call: names and a phone.
  const PersonRecord call = MariaOnThePhone();
  Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, call, 1));
  // An office visit with the national id: the names agree, nothing else to compare.
  PersonRecord office = Maria();
  office.document = "12345678Z";
  Apply(MakeEvent("m2", {Id(kNationalId, "12345678Z"), Id(kAnonymousId, "a2")}, office, 2));
  ASSERT_NE(ProfileOf("a1"), ProfileOf("a2"));
  // A form with the national id, a surname and the phone: alone it says little about the
  // caller (no given name); with the office visit's names (the same profile, by the national
  // id) the caller's profile agrees on given name, surnames and phone.
  PersonRecord form;
  form.surname1 = "garcia";
  form.phone = "+34612000111";
  form.document = "12345678Z";
  const std::size_t links_before = matcher_.Stats().links;
  {
    GraphWithMatcher alone(Options());
    alone.Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, call, 1));
    alone.Apply(MakeEvent("m3", {Id(kAnonymousId, "a3")}, form, 3));
    EXPECT_NE(alone.ProfileOf("a1"), alone.ProfileOf("a3"))
        << "the form alone should not be enough";
  }
  Apply(MakeEvent("m3", {Id(kNationalId, "12345678Z"), Id(kAnonymousId, "a3")}, form, 3));
  EXPECT_EQ(ProfileOf("a2"), ProfileOf("a3"));
  EXPECT_EQ(ProfileOf("a1"), ProfileOf("a3"));
  EXPECT_EQ(matcher_.Stats().links, links_before + 1u);
}

TEST_F(MatcherTest, ScoringIsRecordToClusterSoOneWeakLinkCannotChainTwoPeople) {
  // One profile (a shared user id) holding two records of the same name: one with a birth
  // date and address, one with only a phone.
  const PersonRecord with_phone = MariaOnThePhone();
  Apply(MakeEvent("m1", {Id(kUserId, "u1"), Id(kAnonymousId, "a1")}, Maria(), 1));
  Apply(MakeEvent("m2", {Id(kUserId, "u1"), Id(kAnonymousId, "a2")}, with_phone, 2));
  ASSERT_EQ(ProfileOf("a1"), ProfileOf("a2"));
  // Another Maria Garcia Lopez sharing the phone (a household) but born elsewhere and
  // living elsewhere: her record agrees strongly with the phone-only record (a record-to-
  // record matcher would link her) and disagrees with the other.
  PersonRecord other = with_phone;
  other.birth = BirthDate{1961, 1, 1};
  other.street = "calle luna 3";
  other.postal_code = "41001";
  other.city = "sevilla";
  const PreparedRecord prepared = PrepareRecord(other);
  const std::uint32_t phone_record =
      *graph_.FindNode(kPersonRecord, EncodePersonRecord(with_phone));
  std::uint32_t best = 0;
  MatchEvidence evidence;
  const double cluster =
      matcher_.ScoreAgainstProfile(graph_, prepared, phone_record, &best, &evidence);
  EXPECT_EQ(best, phone_record);
  EXPECT_GE(evidence.best_pair_weight, 12.0f);  // the best pair alone would link
  EXPECT_LT(cluster, 12.0);                     // the profile as a whole does not
  EXPECT_NEAR(evidence.weight, cluster, 1e-3);
  Apply(MakeEvent("m3", {Id(kAnonymousId, "a3")}, other, 3));
  EXPECT_NE(ProfileOf("a3"), ProfileOf("a1"));
  EXPECT_EQ(matcher_.Stats().links, 0u);
}

TEST_F(MatcherTest, ASharedEmailNeverGluesTwoClearlyDifferentPeople) {
  // A couple sharing one e-mail address: her record first, then his with the same e-mail.
  Apply(MakeEvent("m1", {Id(kEmail, "familia@correo.es"), Id(kAnonymousId, "a1")}, Maria(), 1));
  PersonRecord husband;
  husband.given = "david";
  husband.surname1 = "sanz";
  husband.surname2 = "ortega";
  husband.birth = BirthDate{1964, 11, 17};
  husband.gender = Gender::kMale;
  Apply(MakeEvent("m2", {Id(kEmail, "familia@correo.es"), Id(kAnonymousId, "a2")}, husband, 2));
  // His anonymous id joins the e-mail's profile, but his record is refused as a conflict.
  const std::uint32_t his_record = *graph_.FindNode(kPersonRecord, EncodePersonRecord(husband));
  const std::uint32_t email = *graph_.FindNode(kEmail, "familia@correo.es");
  EXPECT_FALSE(graph_.SameProfile(his_record, email));
  EXPECT_GE(graph_.Stats().conflicts, 1u);
  // The same person written a little differently is compatible and joins.
  PersonRecord her_again = Maria();
  her_again.given = "maria";
  her_again.street = "c mayor 5";
  Apply(MakeEvent("m3", {Id(kEmail, "familia@correo.es"), Id(kAnonymousId, "a3")}, her_again, 3));
  const std::uint32_t her_record = *graph_.FindNode(kPersonRecord, EncodePersonRecord(her_again));
  EXPECT_TRUE(graph_.SameProfile(her_record, email));
}

TEST_F(MatcherTest, ASiblingSharingSurnamesAddressAndPhoneIsNotLinked) {
  PersonRecord sister = Maria();
  sister.phone = "+34915550000";
  PersonRecord brother = sister;
  brother.given = "jorge";
  brother.birth = BirthDate{1980, 2, 3};  // the same year
  brother.gender = Gender::kUnknown;
  Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, sister, 1));
  Apply(MakeEvent("m2", {Id(kAnonymousId, "a2")}, brother, 2));
  EXPECT_NE(ProfileOf("a1"), ProfileOf("a2"));
  EXPECT_EQ(matcher_.Stats().links, 0u);
  EXPECT_EQ(matcher_.Stats().reviews_pending, 1u);  // a person may still decide

  // Where given names are often corrupted (FEBRL), the rule can be turned off.
  MatcherOptions options = Options();
  options.given_must_agree = false;
  GraphWithMatcher other(options);
  other.Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, sister, 1));
  other.Apply(MakeEvent("m2", {Id(kAnonymousId, "a2")}, brother, 2));
  EXPECT_EQ(other.ProfileOf("a1"), other.ProfileOf("a2"));
}

TEST_F(MatcherTest, AFatherAndSonOfOneNameAreNotLinked) {
  // Spanish sons are often named after their fathers: the names, the address and the phone
  // agree; the birth date tells them apart.
  PersonRecord father = Maria();
  father.given = "jose";
  father.gender = Gender::kMale;
  father.phone = "+34915550000";
  PersonRecord son = father;
  son.birth = BirthDate{2008, 9, 30};
  Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, father, 1));
  Apply(MakeEvent("m2", {Id(kAnonymousId, "a2")}, son, 2));
  EXPECT_NE(ProfileOf("a1"), ProfileOf("a2"));
  EXPECT_EQ(matcher_.Stats().links, 0u);
  EXPECT_EQ(matcher_.Stats().reviews_pending, 1u);

  // A typo in one digit of the year is not a different date: it links.
  PersonRecord typo = father;
  typo.birth = BirthDate{1981, 5, 17};
  Apply(MakeEvent("m3", {Id(kAnonymousId, "a3")}, typo, 3));
  EXPECT_EQ(ProfileOf("a1"), ProfileOf("a3"));

  // Where birth dates are garbled at random (FEBRL), the rule can be turned off.
  MatcherOptions options = Options();
  options.birth_must_agree = false;
  GraphWithMatcher other(options);
  other.Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, father, 1));
  other.Apply(MakeEvent("m2", {Id(kAnonymousId, "a2")}, son, 2));
  EXPECT_EQ(other.ProfileOf("a1"), other.ProfileOf("a2"));
}

TEST_F(MatcherTest, AnOversizedBlockIsNotUsed) {
  // 150 people sharing one landline (a residence): the phone block is capped.
  const char* const given[] = {"ana",   "luis",  "pedro", "carmen", "jorge",
                               "elena", "pablo", "rosa",  "ivan",   "sara"};
  const char* const surnames[] = {"garcia", "ruiz",     "ortega", "navarro", "molina",
                                  "castro", "iglesias", "vidal",  "pascual", "soler",
                                  "bravo",  "rubio",    "marin",  "gallego", "herrero"};
  for (int i = 0; i < 150; ++i) {
    PersonRecord p;
    p.given = given[i % 10];
    p.surname1 = surnames[i / 10];
    p.phone = "+34915550000";
    Apply(MakeEvent("m" + std::to_string(i), {Id(kAnonymousId, "a" + std::to_string(i))}, p, i));
  }
  const MatcherStats stats = matcher_.Stats();
  EXPECT_EQ(stats.records, 150u);
  EXPECT_GE(stats.oversized_blocks, 1u);
  EXPECT_EQ(stats.links, 0u);
  // Fewer pairs than the 150 * 149 / 2 an uncapped block would have scored.
  EXPECT_LT(stats.pairs_scored, 100u * 99u / 2u + 150u);
}

// Same name and birth year only: between the thresholds.
PersonRecord Weaker() {
  PersonRecord p;
  p.given = "maria";
  p.surname1 = "garcia";
  p.surname2 = "lopez";
  p.birth = BirthDate{1980, 11, 2};
  return p;
}

TEST_F(MatcherTest, APossibleMatchGoesToReviewAndAMatchDecisionLinks) {
  Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, Maria(), 1));
  Apply(MakeEvent("m2", {Id(kAnonymousId, "a2")}, Weaker(), 2));
  EXPECT_NE(ProfileOf("a1"), ProfileOf("a2"));
  std::vector<ReviewItem> items = matcher_.PendingReviews(graph_, 0, 10);
  ASSERT_EQ(items.size(), 1u);
  const ReviewItem& item = items[0];
  EXPECT_EQ(item.left_profile, ProfileOf("a2"));
  EXPECT_EQ(item.right_profile, ProfileOf("a1"));
  EXPECT_GE(item.record.evidence.weight, 4.0f);
  EXPECT_LT(item.record.evidence.weight, 12.0f);
  EXPECT_EQ(item.record.message_id, "m2");
  GraphDelta delta;
  matcher_.TakeDelta(&delta);
  ASSERT_EQ(delta.reviews.size(), 1u);
  EXPECT_EQ(delta.reviews[0].state, ReviewState::kPending);
  EXPECT_EQ(delta.reviews[0].left_profile, ProfileOf("a2"));

  auto outcome = matcher_.Decide(graph_, item.record.id, ReviewDecision::kMatch, At(10), 2);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(ProfileOf("a1"), ProfileOf("a2"));
  EXPECT_EQ(outcome->profile, ProfileOf("a1"));
  EXPECT_TRUE(matcher_.PendingReviews(graph_, 0, 10).empty());
  // Decided once only.
  auto again = matcher_.Decide(graph_, item.record.id, ReviewDecision::kNoMatch, At(11), 2);
  EXPECT_EQ(again.status().code(), StatusCode::kConflict);
  EXPECT_EQ(matcher_.Decide(graph_, 999, ReviewDecision::kMatch, At(11), 2).status().code(),
            StatusCode::kNotFound);
  delta.clear();
  matcher_.TakeDelta(&delta);
  ASSERT_EQ(delta.reviews.size(), 1u);
  EXPECT_EQ(delta.reviews[0].state, ReviewState::kMatch);
  GraphDelta graph_delta;
  graph_.TakeDelta(&graph_delta);
  bool review_edge = false;
  for (const EdgeRecord& e : graph_delta.edges) {
    if (e.rule == LinkRule::kReview) {
      review_edge = true;
      EXPECT_TRUE(e.match.has_value());
      EXPECT_EQ(e.evidence_message, "review:" + std::to_string(item.record.id));
    }
  }
  EXPECT_TRUE(review_edge);
}

TEST_F(MatcherTest, ANoMatchDecisionIsACannotLinkThatLaterEvidenceRespects) {
  Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, Maria(), 1));
  Apply(MakeEvent("m2", {Id(kAnonymousId, "a2")}, Weaker(), 2));
  std::vector<ReviewItem> items = matcher_.PendingReviews(graph_, 0, 10);
  ASSERT_EQ(items.size(), 1u);
  ASSERT_TRUE(
      matcher_.Decide(graph_, items[0].record.id, ReviewDecision::kNoMatch, At(10), 2).ok());
  EXPECT_TRUE(matcher_.PendingReviews(graph_, 0, 10).empty());
  // A later record that matches both strongly joins one of them, never both; and a shared
  // identifier cannot glue the two either.
  PersonRecord bridge = Maria();
  bridge.birth = BirthDate{1980, 11, 2};
  bridge.street = "c mayor 5";
  Apply(MakeEvent("m3", {Id(kAnonymousId, "a3")}, bridge, 3));
  EXPECT_NE(ProfileOf("a1"), ProfileOf("a2"));
  Apply(MakeEvent("m4", {Id(kAnonymousId, "a1"), Id(kDeviceId, "d1")}, std::nullopt, 4));
  Apply(MakeEvent("m5", {Id(kAnonymousId, "a2"), Id(kDeviceId, "d1")}, std::nullopt, 5));
  EXPECT_NE(ProfileOf("a1"), ProfileOf("a2"));
  // No review item proposes the rejected pair again.
  for (const ReviewItem& item : matcher_.PendingReviews(graph_, 0, 10)) {
    EXPECT_FALSE(graph_.SameProfile(item.record.record_node, items[0].record.record_node) &&
                 graph_.SameProfile(item.record.candidate_node, items[0].record.candidate_node));
  }
}

TEST_F(MatcherTest, MatchingOffStillIndexesRecords) {
  MatcherOptions off = Options();
  off.enabled = false;
  GraphWithMatcher other(off);
  other.Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, Maria(), 1));
  PersonRecord office = Maria();
  office.street = "c mayor 5";
  other.Apply(MakeEvent("m2", {Id(kAnonymousId, "a2")}, office, 2));
  EXPECT_NE(other.ProfileOf("a1"), other.ProfileOf("a2"));
  EXPECT_EQ(other.matcher.Stats().records, 2u);
  EXPECT_EQ(other.matcher.Stats().resolved, 0u);
}

TEST_F(MatcherTest, LoadFromGraphIndexesTheStoredRecords) {
  Apply(MakeEvent("m1", {Id(kAnonymousId, "a1")}, Maria(), 1));
  Matcher fresh(Options(), MatchModel::Defaults());
  ASSERT_TRUE(fresh.LoadFromGraph(graph_).ok());
  EXPECT_EQ(fresh.Stats().records, 1u);
  graph_.SetRecordResolver(&fresh);
  PersonRecord office = Maria();
  office.street = "c mayor 5";
  Apply(MakeEvent("m2", {Id(kAnonymousId, "a2")}, office, 2));
  EXPECT_EQ(ProfileOf("a1"), ProfileOf("a2"));
  graph_.SetRecordResolver(&matcher_);
}

TEST(MatcherOptionsTest, ValidateNamesTheBadOption) {
  MatcherOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.review_threshold = o.link_threshold + 1;
  EXPECT_NE(o.Validate().message().find("review_threshold"), std::string::npos);
  o = MatcherOptions();
  o.max_block_size = 1;
  EXPECT_NE(o.Validate().message().find("max_block_size"), std::string::npos);
  o = MatcherOptions();
  o.max_candidates = 0;
  EXPECT_NE(o.Validate().message().find("max_candidates"), std::string::npos);
}

}  // namespace
}  // namespace cdp
