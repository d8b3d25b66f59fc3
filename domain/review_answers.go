package domain

import (
	"fmt"
	"slices"
)

// RecommendationRef names one recommendation of one district review. A DIP
// objective or SIP goal lists the recommendations it answers.
type RecommendationRef struct {
	ReviewID         string `json:"review_id"`
	RecommendationID string `json:"recommendation_id"`
}

// checkAnswers checks that every cited recommendation exists in a review
// of districtCode that was not cancelled, and returns the refs in
// canonical form. look must implement ReviewLookup when refs is not empty.
func checkAnswers(field string, refs []RecommendationRef, districtCode string, look Lookup) ([]RecommendationRef, error) {
	if len(refs) == 0 {
		return refs, nil
	}
	reviews, ok := look.(ReviewLookup)
	if !ok {
		return nil, Errorf(EInternal, field, "this lookup cannot read reviews, so answered recommendations cannot be checked")
	}
	// Copy before canonicalizing: the caller's slice may be shared with a
	// read model.
	out := slices.Clone(refs)
	for i, ref := range out {
		at := fmt.Sprintf("%s/%d", field, i)
		reviewID, err := canonicalID(at+"/review_id", ref.ReviewID)
		if err != nil {
			return nil, err
		}
		recID, err := canonicalID(at+"/recommendation_id", ref.RecommendationID)
		if err != nil {
			return nil, err
		}
		out[i] = RecommendationRef{ReviewID: reviewID, RecommendationID: recID}
		if slices.Contains(out[:i], out[i]) {
			return nil, Errorf(EInvalid, at, "recommendation %s of review %s is listed twice", recID, reviewID)
		}
		review, ok := reviews.Review(reviewID)
		if !ok {
			return nil, Errorf(ENotFound, at+"/review_id", "review %s not found; list the district's reviews at GET /v1/reviews?district=%s", reviewID, districtCode)
		}
		if review.DistrictCode != districtCode {
			return nil, Errorf(EInvalid, at+"/review_id", "review %s is of district %s, not of this plan's district %s",
				reviewID, review.DistrictCode, districtCode)
		}
		if review.Status == ReviewStatusCancelled {
			return nil, Errorf(EInvalid, at+"/review_id", "review %s was cancelled, so its recommendations stand for nothing", reviewID)
		}
		if review.RecommendationIndex(recID) < 0 {
			return nil, Errorf(ENotFound, at+"/recommendation_id", "review %s has no recommendation %s; list them at GET /v1/reviews/%s",
				reviewID, recID, reviewID)
		}
	}
	return out, nil
}
