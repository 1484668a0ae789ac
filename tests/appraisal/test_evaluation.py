"""Evaluation records: groups of at most 10 through the API, self-evaluations, votes, non-party representatives."""

import pytest

from appraisal import services
from appraisal.models import BranchEvaluation, MutualEvaluationGroup, MutualEvaluationVote, Participant, Rating
from portal.scope import forget_scope
from tests.appraisal.conftest import make_member

pytestmark = pytest.mark.django_db
GROUPS = "/api/v1/appraisal-groups/"


@pytest.fixture
def big_branch(city_round, tree, users):
    members = [make_member(tree["BRANCH_A"], name="Big {:02d}".format(i)) for i in range(12)]
    for member in members:
        services.add_participant(city_round, member, users["secretary_a"])
    return members


def test_group_api_limits_members_to_ten(api_as, city_round, big_branch):
    api = api_as("secretary_a")
    payload = {"round": city_round.pk, "organization": "BRANCH_A", "name": "G1", "members": [m.pk for m in big_branch[:11]]}
    response = api.post(GROUPS, payload, format="json")
    assert response.status_code == 400 and "members" in response.json()
    assert not MutualEvaluationGroup.objects.exists()
    payload["members"] = [m.pk for m in big_branch[:10]]
    response = api.post(GROUPS, payload, format="json")
    assert response.status_code == 201, response.content
    group = response.json()
    assert sorted(group["members"]) == sorted(m.pk for m in big_branch[:10])
    # Another branch's secretary neither sees nor changes it; their own branch's members only.
    assert api_as("secretary_b").get(GROUPS + "{}/".format(group["id"])).status_code == 404
    other = {"round": city_round.pk, "organization": "BRANCH_B", "name": "X", "members": [big_branch[0].pk]}
    assert api_as("secretary_b").post(GROUPS, other, format="json").status_code == 400
    assert api_as("secretary_a").post(GROUPS, dict(other, organization="BRANCH_B"), format="json").status_code == 400


def test_group_list_is_scoped_and_pinned(api_as, city_round, big_branch, users, django_assert_num_queries):
    for index in range(3):
        group = MutualEvaluationGroup.objects.create(round=city_round, organization=big_branch[0].organization, name=str(index))
        Participant.objects.filter(member__in=big_branch[index * 3 : index * 3 + 3]).update(group=group)
    client = api_as("secretary_a")
    forget_scope(users["secretary_a"])
    # 1 role assignments, 2 count, 3 groups with organizations, 4 their participants (prefetch).
    with django_assert_num_queries(4):
        rows = client.get(GROUPS + "?round={}".format(city_round.pk)).json()["results"]
    assert [len(row["members"]) for row in rows] == [3, 3, 3]
    assert api_as("secretary_b").get(GROUPS).json()["count"] == 0


def test_evaluation_page_records_everything(client_as, city_round, people, users, tree):
    services.save_ratings(city_round, users["secretary_a"], [{"member": people["A"][0].pk, "rating": "outstanding"}])
    participant = Participant.objects.get(round=city_round, member=people["A"][0])
    url = "/appraisal/{}/evaluation/BRANCH_A/".format(city_round.pk)
    client = client_as("secretary_a")
    assert client.get(url).status_code == 200
    data = {
        "non_party_representatives": "3",
        "meeting_held_on": "2026-03-01",
        "self-{}".format(participant.pk): "I led the study group.",
        "votes-{}-outstanding-group".format(participant.pk): "7",
        "votes-{}-outstanding-non_party".format(participant.pk): "2",
        "votes-{}-qualified-group".format(participant.pk): "1",
        "reason-{}".format(people["A"][0].pk): "Led the flood relief.",
    }
    # More non-party votes than representatives: refused, nothing saved.
    refused = client.post(url, dict(data, non_party_representatives="1"))
    assert refused.status_code == 400
    assert not BranchEvaluation.objects.exists() and not MutualEvaluationVote.objects.exists()
    assert client.post(url, data).status_code == 302
    assert BranchEvaluation.objects.get().non_party_representatives == 3
    participant.refresh_from_db()
    assert participant.self_evaluation == "I led the study group."
    votes = {(v.rating, v.group_votes, v.non_party_votes) for v in MutualEvaluationVote.objects.all()}
    assert votes == {("outstanding", 7, 2), ("qualified", 1, 0)}
    assert Rating.objects.get().reason == "Led the flood relief."
    assert client_as("secretary_b").post(url, data).status_code == 404
