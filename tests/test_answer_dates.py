"""Dates by code (rag/answer/dates.py): relative day words and year-less days resolved from the publication date."""

from __future__ import annotations

from datetime import date

from rag.answer import check, dates

SUNDAY_16_APRIL_2017 = date(2017, 4, 16)


def test_a_weekday_is_the_latest_such_day_on_or_before_the_publication_date():
    assert dates.relative_day("Saturday", SUNDAY_16_APRIL_2017) == date(2017, 4, 15)
    assert dates.relative_day("sunday", SUNDAY_16_APRIL_2017) == SUNDAY_16_APRIL_2017  # the story's own day
    assert dates.relative_day("Monday", SUNDAY_16_APRIL_2017) == date(2017, 4, 10)
    assert dates.relative_day("yesterday", SUNDAY_16_APRIL_2017) == date(2017, 4, 15)
    assert dates.relative_day("today", SUNDAY_16_APRIL_2017) == SUNDAY_16_APRIL_2017
    assert dates.relative_day("March", SUNDAY_16_APRIL_2017) is None


def test_a_day_without_a_year_is_the_last_one_on_or_before_the_publication_date():
    assert dates.day_without_year(18, 7, date(2013, 7, 19)) == date(2013, 7, 18)
    assert dates.day_without_year(28, 12, date(2016, 1, 5)) == date(2015, 12, 28)  # across the new year
    assert dates.day_without_year(30, 2, date(2016, 1, 5)) is None


def test_the_days_a_sentence_names():
    text = "Three were killed on Saturday; the convoy left on 14 April and had arrived by April 2, 2016. At 10:07"
    assert dates.days_named(text, SUNDAY_16_APRIL_2017) == {date(2017, 4, 15), date(2017, 4, 14), date(2016, 4, 2)}


def test_a_when_answer_gets_its_calendar_date_only_when_there_is_exactly_one():
    assert dates.calendar_date("Monday", [date(2015, 1, 27)]) == date(2015, 1, 26)
    assert dates.calendar_date("on 18 July", [date(2013, 7, 19)]) == date(2013, 7, 18)
    assert dates.calendar_date("18 July 2013", [date(2013, 7, 19)]) is None  # the answer gives its own year
    assert dates.calendar_date("Monday", [date(2015, 1, 27), date(2015, 2, 3)]) is None  # the articles disagree
    assert dates.calendar_date("Monday or Tuesday", [date(2015, 1, 27)]) is None
    assert dates.calendar_date("late June", [date(2015, 1, 27)]) is None


def test_the_story_year_the_model_adds_to_a_day_is_removed_and_no_other_year():
    sentence = "Youssef Abdelke and Adnan al-Dibs were arrested in Tartus on 18 July."
    assert dates.without_inferred_year("18 July 2013", sentence, [date(2013, 7, 19)]) == "18 July"
    assert dates.without_inferred_year("July 18, 2013", sentence, [date(2013, 7, 19)]) == "July 18"
    # a year that is not the one the day falls in by the article's date is the model's own: kept, so checks refuse it
    assert dates.without_inferred_year("18 July 2012", sentence, [date(2013, 7, 19)]) == "18 July 2012"
    # a year the sentence gives stays
    assert dates.without_inferred_year("18 July 2013", "arrested on 18 July 2013", [date(2013, 7, 19)]) == (
        "18 July 2013"
    )
    assert dates.without_inferred_year("18 July 2013", sentence, []) == "18 July 2013"


def test_a_question_about_a_calendar_date_finds_the_article_that_says_on_saturday():
    sentence = "At least 98 people were killed on Saturday when a car bomb hit the buses at Rashidin."
    question = "How many people were killed in the 15 April 2017 bombing of the bus convoy at Rashidin?"
    on_sunday = check.Evidence(sentence, "", (SUNDAY_16_APRIL_2017,), sentence)
    assert check.question_problems(question, on_sunday) == []
    # a week later "Saturday" is 22 April: the article is not about the day asked
    a_week_later = check.Evidence(sentence, "", (date(2017, 4, 25),), sentence)
    assert check.question_problems(question, a_week_later) == ["the cited articles are not about 15"]
