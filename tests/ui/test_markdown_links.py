"""Messages may link the app's own file numbers, and nothing else."""

import re

from ui.markdown import escape_linking_file_numbers


def test_a_file_number_links_to_its_file_and_the_rest_stays_literal():
    shown = escape_linking_file_numbers("身份证号已在档案 QHD-130302-000001 中；[点我](http://evil.example/) ![](http://evil.example/x.png)")
    assert "[QHD-130302-000001](household?file=QHD-130302-000001)" in shown
    assert not re.search(r"(?<!\\)\]\(http", shown)  # no link to a foreign host can form
    assert "\\[点我\\]" in shown and "\\!\\[\\]" in shown


def test_text_that_only_looks_like_a_file_number_is_not_linked():
    assert "](" not in escape_linking_file_numbers("QHD-130302-00001 QHD-13030-000001 xQHD-130302-000001")
