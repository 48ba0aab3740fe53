// The six routing methods (private to routing/). Each picks within one profile; answer.cpp
// follows nested choices into child profiles and turns the final choice into an Answer.
#pragma once

#include "conf/model.h"
#include "routing/query.h"

namespace meridian::routing {

// Each returns the chosen endpoint, or nullptr when the profile answers NODATA.
// `depth` is how many nesting levels below the queried profile `profile` sits.
const model::Endpoint* choose_priority(Query& query, const model::Profile& profile, unsigned depth);
const model::Endpoint* choose_weighted(Query& query, const model::Profile& profile, unsigned depth);
const model::Endpoint* choose_performance(Query& query, const model::Profile& profile, unsigned depth);
const model::Endpoint* choose_geographic(Query& query, const model::Profile& profile, unsigned depth);
const model::Endpoint* choose_subnet(Query& query, const model::Profile& profile, unsigned depth);

// Multivalue answers several endpoints at once, so it fills the answer itself.
void answer_multivalue(Query& query, const model::Profile& profile, unsigned depth, Answer& answer);

}  // namespace meridian::routing
