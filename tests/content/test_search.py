"""Site search: Chinese queries find the right articles and pages, on SQLite and PostgreSQL.

Everything goes through the index Wagtail keeps (saving a page or loading regulations updates
it), so these tests run on whichever database DATABASE_URL names.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext
from wagtail.models import Page, PageViewRestriction

from content.article_numbers import split_articles
from content.models import HomePage, Regulation
from content.regulations import DEFAULT_PATH
from content.search import build_query
from content.segmentation import any_words, highlight_terms, main_words, query_words, segment
from content.templatetags.search_tags import excerpt, highlight

# Terms a collector or trainer would type, checked against every article that contains them.
LEGAL_TERMS = (
    "催收 非法拘禁 拘禁 债务 非法债务 高利放贷 信用卡 恶意透支 个人信息 敏感个人信息 侮辱 诽谤 "
    "寻衅滋事 住宅 恐吓 跟踪 骚扰 威胁 有期徒刑 拘役 罚款 拘留 人身自由 隐私 处理者 "
    "个人信息处理者 暴力 胁迫 通讯录 短信 电话 金融机构 名誉 隐私权 捏造事实 殴打 故意伤害 "
    "情节较轻 情节严重 情节特别严重 五日以上十日以下 诉讼时效 人民共和国 最高人民法院"
).split()


@pytest.fixture
def regulations(db) -> None:
    call_command("load_regulations", stdout=StringIO())


def article(short_name: str, article_no: str) -> Regulation:
    return Regulation.objects.get(short_name=short_name, article_no=article_no)


def make_regulation(number: int, text: str, statute: str = "测试法") -> Regulation:
    return Regulation.objects.create(
        statute=statute,
        short_name="测试法",
        article_label=f"第{number}条",
        article_no=str(number),
        topic="civil-law",
        text=text,
        version="v1",
        source="test",
    )


def search(client, q: str, **params):
    response = client.get(reverse("search"), {"q": q, **params})
    assert response.status_code == 200
    return response


def hit_urls(response) -> list[str]:
    return [hit.url for hit in response.context["page_obj"]]


def detail_url(regulation: Regulation) -> str:
    return reverse("regulation_detail", args=[regulation.pk])


# Segmentation: what is indexed and what is searched for must agree.


def test_a_word_inside_a_longer_compound_is_indexed_on_its_own():
    assert "催收" in segment("催收非法债务罪").split()
    # jieba's own search mode stops at three characters; every dictionary word is kept here.
    assert {"人民共和国", "共和国", "刑法"} <= set(segment("中华人民共和国刑法").split())


def test_a_phrase_is_cut_the_same_way_in_a_query_as_inside_a_sentence():
    # With jieba's HMM on, the sentence gives 较轻 and the query 较 + 轻, and nothing matched.
    assert set(query_words("情节较轻")) <= set(
        segment("情节较轻的，处五日以上十日以下拘留").split()
    )


def test_every_legal_term_matches_every_article_that_contains_it():
    data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    checked = 0
    for term in LEGAL_TERMS:
        for entry in data:
            indexed = f"{entry['statute']} {entry['short']} {entry['article']} {entry['text']}"
            if term in indexed:
                checked += 1
                missing = set(query_words(term)) - set(segment(indexed).split())
                assert not missing, f"{term} in {entry['short']} {entry['article']}: {missing}"
    assert checked > 100


def test_query_syntax_and_punctuation_never_reach_the_backend():
    assert query_words('"催收"* OR (非法)！') == ["催收", "OR", "非法"]
    assert build_query("！？ *") is None


def test_single_characters_are_dropped_only_when_a_query_also_has_real_words():
    assert main_words("催收非法债务罪") == ["催收", "非法", "债务"]
    assert main_words("催收") == []
    assert main_words("王芳") == []


def test_highlight_marks_each_word_and_escapes_everything_else():
    assert highlight("<b>催收</b>：非法拘禁、非法", ["非法", "非法拘禁", "催收"]) == (
        "&lt;b&gt;<mark>催收</mark>&lt;/b&gt;：<mark>非法拘禁</mark>、<mark>非法</mark>"
    )
    assert highlight("<i>x</i>", []) == "&lt;i&gt;x&lt;/i&gt;"


def test_excerpt_is_centred_on_the_first_match():
    text = "甲" * 300 + "催收" + "乙" * 300
    result = excerpt(text, ["催收"])
    assert result.startswith("…") and result.endswith("…")
    assert len(result) == 122
    assert result.index("催收") in range(55, 65)
    assert excerpt("短文本\n第二段", ["催收"]) == "短文本 第二段"


# The search page.


def test_cuishou_finds_the_article_on_collecting_illegal_debts(client, regulations):
    response = search(client, "催收")
    assert detail_url(article("刑法", "293-1")) in hit_urls(response)
    assert "<mark>催收</mark>高利放贷等产生的非法债务" in response.content.decode()


def test_illegal_detention_finds_criminal_law_article_238(client, regulations):
    response = search(client, "非法拘禁")
    assert hit_urls(response)[0] == detail_url(article("刑法", "238"))
    assert "<mark>非法拘禁</mark>他人" in response.content.decode()


def test_when_nothing_has_every_word_single_characters_are_dropped(client, regulations):
    # 嗎 occurs in no article: the strict pass finds nothing, the relaxed one finds 293之一.
    response = search(client, "催收非法债务嗎")
    assert detail_url(article("刑法", "293-1")) in hit_urls(response)
    assert response.context["relaxed_words"] == ["催收", "非法", "债务"]


def test_every_word_of_a_multi_word_query_must_match(client, regulations):
    urls = hit_urls(search(client, "催收 信用卡"))
    assert detail_url(article("刑法", "196")) in urls
    assert detail_url(article("刑法", "293-1")) not in urls
    assert search(client, "催收 信用卡").context["any_words"] == []


def test_a_phrase_jieba_would_guess_differently_in_context_is_found(client, regulations):
    response = search(client, "情节较轻")
    assert response.context["relaxed_words"] == []
    assert detail_url(article("治安管理处罚法", "47")) in hit_urls(response)


def test_results_show_the_count_type_statute_and_edition(client, regulations):
    response = search(client, "非法拘禁")
    hit = response.context["page_obj"][0]
    assert hit.type_label == gettext("Regulation")
    assert hit.title == "刑法 第二百三十八条"
    assert "中华人民共和国刑法" in hit.meta
    assert response.context["count"] == 1
    assert "非法拘禁" in response.content.decode()


def test_superseded_articles_are_labelled(client, regulations):
    response = search(client, "寻衅滋事")
    hits = {hit.url: hit for hit in response.context["page_obj"]}
    old, new = article("治安管理处罚法", "26"), article("治安管理处罚法", "30")
    assert hits[detail_url(old)].superseded
    assert not hits[detail_url(new)].superseded


def test_the_index_follows_a_changed_text(client, regulations, tmp_path):
    data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    data[2]["text"] += "\n骆驼条款。"
    changed = tmp_path / "regulations.json"
    changed.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    call_command("load_regulations", str(changed), stdout=StringIO())
    assert hit_urls(search(client, "骆驼")) == [detail_url(article("刑法", "238"))]


def test_the_home_page_is_found_by_its_chinese_title(client, db):
    home = HomePage.objects.get()
    home.save_revision().publish()  # as an editor would; the migration's page is not indexed
    response = search(client, "阳光学堂")
    assert hit_urls(response) == ["/"]
    assert response.context["page_obj"][0].type_label == gettext("Page")


def test_pages_come_before_regulations_and_drafts_and_private_pages_are_left_out(
    client, regulations
):
    home = HomePage.objects.get()
    live = home.add_child(instance=Page(title="催收", slug="cuishou"))
    home.add_child(instance=Page(title="催收", slug="draft", live=False))
    private = home.add_child(instance=Page(title="催收", slug="private"))
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    urls = hit_urls(search(client, "催收"))
    assert urls[0] == live.url
    assert urls[1:] and all(url.startswith("/regulations/") for url in urls[1:])


def test_results_are_paginated_ten_to_a_page(client, db):
    for number in range(1, 26):
        make_regulation(number, f"骆驼条款{number}。")
    first = search(client, "骆驼")
    assert first.context["count"] == 25
    assert len(first.context["page_obj"]) == 10
    assert 'rel="next" href="?q=%E9%AA%86%E9%A9%BC&amp;page=2"' in first.content.decode()
    pages = [hit_urls(search(client, "骆驼", page=n)) for n in (1, 2, 3)]
    assert [len(urls) for urls in pages] == [10, 10, 5]
    assert len({url for urls in pages for url in urls}) == 25  # no result twice, none skipped
    assert search(client, "骆驼", page="99").context["page_obj"].number == 3
    assert search(client, "骆驼", page="abc").context["page_obj"].number == 1
    assert search(client, "骆驼", page="-1").context["page_obj"].number == 3


def test_the_number_of_queries_does_not_grow_with_the_results(client, db):
    def queries_for_a_full_page(total: int) -> int:
        Regulation.objects.all().delete()
        for number in range(total):
            make_regulation(number, "骆驼条款。")
        with CaptureQueriesContext(connection) as queries:
            search(client, "骆驼")
        return len(queries)

    search(client, "骆驼")  # warm per-process caches (site root paths, content types)
    assert queries_for_a_full_page(12) == queries_for_a_full_page(30)


def test_an_empty_query_shows_only_the_form(client, regulations):
    for q in ("", "   "):
        response = search(client, q)
        assert 'name="q"' in response.content.decode()
        assert "page_obj" not in response.context
        assert 'class="search-count"' not in response.content.decode()
    assert "page_obj" not in client.get(reverse("search")).context


def test_a_query_of_punctuation_finds_nothing_without_failing(client, regulations):
    for q in ("！？", '"*', "AND OR NOT", "'; DROP TABLE x; --"):
        response = search(client, q)
        assert response.context["count"] == 0


def test_a_query_over_200_characters_is_cut_and_the_reader_told(client, regulations):
    response = search(client, "催收" + "骆" * 300)
    assert response.context["truncated"]
    assert len(response.context["query"]) == 200
    assert 'class="message message-warning"' in response.content.decode()
    assert not search(client, "催收").context["truncated"]


def test_search_results_are_escaped(client, db):
    make_regulation(1, "<img src=x onerror=alert(1)>骆驼", statute="<script>alert(1)</script>")
    html = search(client, "<b>骆驼</b>").content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;<mark>骆驼</mark>" in html


# The regulation page search results link to.


def test_a_regulation_page_shows_the_verbatim_text_and_its_edition(client, regulations):
    regulation = article("刑法", "293-1")
    response = client.get(detail_url(regulation))
    html = response.content.decode()
    assert response.status_code == 200
    for paragraph in regulation.paragraphs:
        assert f"<p>{paragraph}</p>" in html
    assert "中华人民共和国刑法" in html
    assert regulation.version in html
    assert "2024" in html  # in force from 2024-03-01, in the reader's date format


def test_old_and_new_versions_link_to_each_other(client, regulations):
    old, new = article("治安管理处罚法", "40"), article("治安管理处罚法", "47")
    old_html = client.get(detail_url(old)).content.decode()
    assert f'href="{detail_url(new)}"' in old_html
    new_html = client.get(detail_url(new)).content.decode()
    assert f'href="{detail_url(old)}"' in new_html


def test_an_unknown_regulation_is_a_404(client, db):
    assert client.get("/regulations/999999/").status_code == 404


def test_the_crime_name_finds_its_article(client, db):
    from django.core.management import call_command

    call_command("load_regulations", stdout=None)
    response = client.get("/search/", {"q": "催收非法债务罪"})
    html = response.content.decode()
    assert "第二百九十三条之一" in html
    # Found through the crime name on the first, strict pass: no relaxed-search notice.
    assert not response.context["relaxed_words"]


# Article numbers: Arabic and Chinese numerals, with or without 第 and 条 (issue 11, item 9).


def test_an_article_number_is_indexed_as_one_token_whatever_its_numerals():
    assert "art50" in segment("第五十条").split()
    assert "art50" in segment("依照第50条处罚").split()
    assert {"art293x1", "art293"} <= set(segment("刑法第二百九十三条之一").split())
    assert {"art101", "art10"} <= set(segment("第一百零一条 第十条").split())


def test_a_query_names_an_article_with_di_or_tiao_but_a_bare_number_is_not_one():
    for query in ("第50条", "50条", "第五十", "第五十条", "五十条"):
        refs, _rest = split_articles(query)
        assert [ref.token for ref in refs] == ["art50"], query
    assert [ref.token for ref in split_articles("293之一")[0]] == ["art293x1"]
    assert split_articles("50元")[0] == []
    assert split_articles("五十")[0] == []


def test_both_numerals_of_an_article_are_highlighted():
    assert {"第五十条", "第50条"} <= set(highlight_terms("第50条"))
    assert "第" not in highlight_terms("第50条")  # not every 第 on the page


@pytest.mark.parametrize("query", ["第50条", "50条", "第五十", "第五十条", "第50条 殴打"])
def test_arabic_or_chinese_numerals_find_the_article_written_in_chinese(client, regulations, query):
    response = search(client, query)
    assert detail_url(article("治安管理处罚法", "50")) in hit_urls(response)
    assert response.context["relaxed_words"] == []
    assert response.context["any_words"] == []


def test_293_zhi_yi_finds_the_crime_of_collecting_illegal_debts(client, regulations):
    for query in ("293之一", "第293条之一", "第二百九十三条之一"):
        response = search(client, query)
        assert hit_urls(response)[0] == detail_url(article("刑法", "293-1")), query
    assert "<mark>第二百九十三条之一</mark>" in search(client, "293之一").content.decode()


def test_a_text_writing_the_number_in_arabic_is_found_by_the_chinese_form(client, db):
    regulation = make_regulation(9, "违反本办法第12条规定的，由主管部门责令改正。")

    assert detail_url(regulation) in hit_urls(search(client, "第十二条"))
    assert detail_url(regulation) in hit_urls(search(client, "第12条"))
    assert detail_url(regulation) not in hit_urls(search(client, "第十三条"))


# Fallbacks: any word when no result has all of them; a zero-result page announces nothing.


def test_a_compound_with_no_exact_match_falls_back_to_any_of_its_words(client, regulations):
    assert query_words("骚扰电话") == ["骚扰电话"]
    assert any_words("骚扰电话") == ["骚扰", "电话"]
    with_harass = search(client, "骚扰").context["count"]

    response = search(client, "骚扰电话")

    assert response.context["any_words"] == ["骚扰", "电话"]
    assert response.context["count"] >= with_harass > 0
    html = response.content.decode()
    assert "以下结果至少包含其中之一：骚扰、电话。" in html
    assert "<mark>骚扰</mark>" in html


def test_a_multi_word_query_without_a_result_having_all_words_shows_any(client, regulations):
    response = search(client, "催收 诽谤")

    urls = hit_urls(response)
    assert response.context["any_words"] == ["催收", "诽谤"]
    assert detail_url(article("刑法", "293-1")) in urls  # 催收
    assert detail_url(article("刑法", "246")) in urls  # 诽谤


def test_a_search_that_finds_nothing_announces_no_results_it_does_not_have(client, regulations):
    for query in ("宇宙飞船嗎", "宇宙 飞船", "火星探测器"):
        response = search(client, query)
        html = response.content.decode()
        assert response.context["count"] == 0, query
        assert "以下结果" not in html, query
        assert response.context["relaxed_words"] == []
        assert response.context["any_words"] == []
        assert "没有找到匹配的内容" in html
