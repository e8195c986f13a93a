"""Named event, censoring and response definitions (admiral event_source / censor_source / event).

One object both drives a derivation and writes its define.xml method text (`describe()`),
so the method documented is the method run. Every field is a plain value (str, int, tuple)
so a study spec can build these objects from YAML.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from specs.errors import InputError

Condition = str | Callable[[pd.DataFrame], pd.Series] | None
"""A row filter: a pandas query string, a function of the frame returning booleans, or None (all)."""


def compute_condition(dataset: pd.DataFrame, condition: Condition) -> pd.Series:
    """Evaluate a `Condition` on `dataset`; a missing comparison counts as False.

    A query the data cannot answer (a misspelt variable, broken syntax) raises InputError
    naming the query, whatever pandas raised.
    """
    if condition is None:
        return pd.Series(True, index=dataset.index)
    if isinstance(condition, str):
        try:
            result = dataset.eval(condition)
        except Exception as error:  # noqa: BLE001 - any failure of a spec's query is the spec's
            raise InputError(f"the condition `{condition}` cannot be evaluated: {error}",
                             expected="a query over the dataset's variables; check the spec") from None
    else:
        result = condition(dataset)
    return pd.Series(result, index=dataset.index).fillna(False).astype(bool)


def describe_condition(condition: Condition) -> str:
    """Readable text for a condition: the query itself, or a function's first docstring line."""
    if condition is None:
        return "all records"
    if isinstance(condition, str):
        return condition
    doc = (condition.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else condition.__name__


@dataclass(frozen=True, kw_only=True)
class TimeToEventSource:
    """A dated record that ends (event) or censors a time to event (admiral tte_source).

    `srcseq` names the variable copied into SRCSEQ (e.g. "ASEQ"); `order` breaks ties
    between records of the same date within this source.
    """

    dataset_name: str
    date: str
    filter: Condition = None
    censor: int = 0
    evntdesc: str = ""
    cnsdtdsc: str | None = None
    srcdom: str = ""
    srcvar: str = ""
    srcseq: str | None = None
    order: tuple[str, ...] = ()
    method: str = ""

    def describe(self) -> str:
        """Method text; `method` explains a source dataset that a derivation prepares."""
        kind = "Event" if self.censor == 0 else "Censored"
        text = f"{kind} (CNSR = {self.censor}): {self.evntdesc}, date {self.srcdom}.{self.srcvar}"
        text += f" ({self.method})" if self.method else f" from dataset {self.dataset_name}"
        if self.filter is not None:
            text += f" where {describe_condition(self.filter)}"
        return text + "."


@dataclass(frozen=True, kw_only=True)
class EventSource(TimeToEventSource):
    """An event (CNSR = 0); among all events of a subject the earliest date wins."""

    censor: int = 0

    def __post_init__(self) -> None:
        if self.censor != 0:
            raise ValueError(f"EventSource {self.evntdesc!r}: censor must be 0, got {self.censor}")


@dataclass(frozen=True, kw_only=True)
class CensorSource(TimeToEventSource):
    """A censoring time (CNSR >= 1); with no event the latest censoring date wins."""

    censor: int = 1

    def __post_init__(self) -> None:
        if self.censor < 1:
            raise ValueError(
                f"CensorSource {self.evntdesc!r}: censor must be a positive integer, got {self.censor}"
            )


@dataclass(frozen=True, kw_only=True)
class Confirmation:
    """A later assessment that confirms a response (admiral event_joined, RECIST 1.1).

    The first assessment at least `min_days` after the response whose value is in
    `confirmed_by` confirms it, provided every assessment between them is in
    `allowed_between` (or `confirmed_by`), at most `max_ne` of them are NE, and, with
    `no_pr_after_cr`, no PR follows a CR up to the confirming assessment.
    """

    confirmed_by: tuple[str, ...]
    min_days: int = 28
    allowed_between: tuple[str, ...] = ("NE",)
    max_ne: int = 1
    no_pr_after_cr: bool = False

    def describe(self) -> str:
        text = (
            f"followed by {' or '.join(self.confirmed_by)} at least {self.min_days} days later,"
            f" at most {self.max_ne} NE in between"
        )
        others = [v for v in self.allowed_between if v not in ("NE", *self.confirmed_by)]
        if others:
            text += f", {' or '.join(others)} also allowed in between"
        if self.no_pr_after_cr:
            text += ", and no PR after CR"
        return text


@dataclass(frozen=True, kw_only=True)
class Event:
    """A rule that sets a response result (admiral event / event_joined).

    `condition` lists the overall responses (AVALC of the assessments) that qualify; None
    means every subject of ADSL qualifies (the "no data" rule, to be listed last).
    `min_days` requires the assessment at least that many days after the reference date.
    """

    description: str
    result: str
    condition: tuple[str, ...] | None
    min_days: int | None = None
    confirmation: Confirmation | None = None

    def describe(self) -> str:
        if self.condition is None:
            return f"{self.result}: {self.description} (every subject without an earlier rule)."
        text = f"{self.result}: {' or '.join(self.condition)}"
        if self.min_days is not None:
            text += f" at least {self.min_days} days after the reference date"
        if self.confirmation is not None:
            text += f" {self.confirmation.describe()}"
        return text + f" ({self.description})."


def describe_events(events: tuple[Event, ...]) -> str:
    """Method text for a list of response rules, evaluated in order."""
    lines = [f"{i}. {event.describe()}" for i, event in enumerate(events, start=1)]
    return "The first rule that a subject meets sets the result:\n" + "\n".join(lines)


# ---- Time-to-event sources (admiralonco tte_sources, for ADRS built by adam.adrs) ----

DEATH_EVENT = EventSource(
    dataset_name="adrs",
    filter="PARAMCD == 'DEATH' and AVALC == 'Y' and ANL01FL == 'Y'",
    date="ADT",
    evntdesc="Death",
    srcdom="ADRS",
    srcvar="ADT",
    srcseq="ASEQ",
)

PD_EVENT = EventSource(
    dataset_name="adrs",
    filter="PARAMCD == 'PD' and AVALC == 'Y' and ANL01FL == 'Y'",
    date="ADT",
    evntdesc="Disease Progression",
    srcdom="ADRS",
    srcvar="ADT",
    srcseq="ASEQ",
)

LASTA_CENSOR = CensorSource(
    dataset_name="adrs",
    filter="PARAMCD == 'LSTA' and ANL01FL == 'Y'",
    date="ADT",
    evntdesc="Last Tumor Assessment",
    cnsdtdsc="Last Tumor Assessment",
    srcdom="ADRS",
    srcvar="ADT",
    srcseq="ASEQ",
)

# FDA 2018 PFS censoring: each reads a set of OVR records that adam.adtte.derive_param_tte_fda
# prepares (adequate = an assessment done and evaluable, AVALC other than NE).
LAST_ADEQUATE_CENSOR = CensorSource(
    dataset_name="adequate",
    date="ADT",
    evntdesc="Last Tumor Assessment",
    cnsdtdsc="Last Tumor Assessment",
    srcdom="ADRS",
    srcvar="ADT",
    srcseq="ASEQ",
    method="last adequate assessment of a subject alive without progression",
)

NACT_CENSOR = CensorSource(
    dataset_name="adequate_before_nact",
    date="ADT",
    evntdesc="New Anticancer Therapy",
    cnsdtdsc="Last Tumor Assessment Before New Anticancer Therapy",
    srcdom="ADRS",
    srcvar="ADT",
    srcseq="ASEQ",
    method="last adequate assessment on or before the start of new anticancer therapy, "
    "when that therapy starts before progression or death",
)

MISSED_ASSESSMENTS_CENSOR = CensorSource(
    dataset_name="adequate_before_gap",
    date="ADT",
    evntdesc="Progression or Death After Missed Assessments",
    cnsdtdsc="Last Tumor Assessment Before Missed Assessments",
    srcdom="ADRS",
    srcvar="ADT",
    srcseq="ASEQ",
    method="last adequate assessment before progression or death that follows two or more "
    "missed scheduled assessments",
)

LASTALIVE_CENSOR = CensorSource(
    dataset_name="adsl",
    date="LSTALVDT",
    evntdesc="Alive",
    cnsdtdsc="Alive During Study",
    srcdom="ADSL",
    srcvar="LSTALVDT",
)


def start_censor(date: str = "TRTSDT", description: str = "Treatment Start") -> CensorSource:
    """Censoring at the start date (admiralonco trts_censor / rand_censor)."""
    return CensorSource(
        dataset_name="adsl",
        date=date,
        evntdesc=description,
        cnsdtdsc=description,
        srcdom="ADSL",
        srcvar=date,
    )


# The sources a time-to-event spec names (`events:`, `censors:`), by admiralonco's names; the start
# censoring is made for each parameter from its start date (START_CENSOR).
EVENT_SOURCES: dict[str, EventSource] = {"death_event": DEATH_EVENT, "pd_event": PD_EVENT}
CENSOR_SOURCES: dict[str, CensorSource] = {
    "lastalive_censor": LASTALIVE_CENSOR,
    "lasta_censor": LASTA_CENSOR,
    "last_adequate_censor": LAST_ADEQUATE_CENSOR,
    "missed_assessments_censor": MISSED_ASSESSMENTS_CENSOR,
    "nact_censor": NACT_CENSOR,
}
START_CENSOR = "start_censor"


# ---- Response rules (admiralonco response_sources, RECIST 1.1) ----

RSP_Y = Event(description="CR or PR (unconfirmed) is a response", result="Y", condition=("CR", "PR"))
NO_DATA_N = Event(description="no response", result="N", condition=None)
NO_DATA_MISSING = Event(description="no post-baseline assessment", result="MISSING", condition=None)


def clinical_benefit_event(*, sd_min_days: int = 42) -> Event:
    """CR, PR, SD or NON-CR/NON-PD at least `sd_min_days` after the reference date."""
    return Event(
        description="clinical benefit",
        result="Y",
        condition=("CR", "PR", "SD", "NON-CR/NON-PD"),
        min_days=sd_min_days,
    )


def confirmed_response_events(
    *,
    result_cr: str = "CR",
    result_pr: str = "PR",
    confirmation_days: int = 28,
    max_ne_between: int = 1,
    no_pr_after_cr: bool = True,
) -> tuple[Event, Event]:
    """Confirmed CR and confirmed PR (admiralonco cbor_cr / cbor_pr, crsp_y_cr / crsp_y_pr)."""
    confirmed_cr = Event(
        description="confirmed complete response",
        result=result_cr,
        condition=("CR",),
        confirmation=Confirmation(
            confirmed_by=("CR",),
            min_days=confirmation_days,
            allowed_between=("CR", "NE"),
            max_ne=max_ne_between,
        ),
    )
    confirmed_pr = Event(
        description="confirmed partial response",
        result=result_pr,
        condition=("PR",),
        confirmation=Confirmation(
            confirmed_by=("CR", "PR"),
            min_days=confirmation_days,
            allowed_between=("CR", "PR", "NE"),
            max_ne=max_ne_between,
            no_pr_after_cr=no_pr_after_cr,
        ),
    )
    return confirmed_cr, confirmed_pr


def bor_events(*, sd_min_days: int = 42) -> tuple[Event, ...]:
    """Best overall response without confirmation, in order of evaluation."""
    return (
        Event(description="complete response", result="CR", condition=("CR",)),
        Event(description="partial response", result="PR", condition=("PR",)),
        *_sd_to_missing_events(sd_min_days),
    )


def confirmed_bor_events(
    *,
    confirmation_days: int = 28,
    sd_min_days: int = 42,
    max_ne_between: int = 1,
    no_pr_after_cr: bool = True,
) -> tuple[Event, ...]:
    """Best overall response with confirmation of CR and PR, in order of evaluation.

    An unconfirmed CR or PR falls through to SD when it (or a later CR/PR/SD) meets the
    SD minimum, else to PD or NE.
    """
    return (
        *confirmed_response_events(
            confirmation_days=confirmation_days,
            max_ne_between=max_ne_between,
            no_pr_after_cr=no_pr_after_cr,
        ),
        *_sd_to_missing_events(sd_min_days),
    )


def _sd_to_missing_events(sd_min_days: int) -> tuple[Event, ...]:
    return (
        Event(
            description="stable disease: CR, PR or SD far enough from the reference date",
            result="SD",
            condition=("CR", "PR", "SD"),
            min_days=sd_min_days,
        ),
        Event(
            description="non-CR/non-PD (non-measurable disease only)",
            result="NON-CR/NON-PD",
            condition=("NON-CR/NON-PD",),
            min_days=sd_min_days,
        ),
        Event(description="progressive disease", result="PD", condition=("PD",)),
        Event(
            description="not evaluable: assessments exist but none of the above",
            result="NE",
            condition=("CR", "PR", "SD", "NON-CR/NON-PD", "NE"),
        ),
        NO_DATA_MISSING,
    )
