from healthpm.lib.mentions import mentioned_usernames


def test_it_finds_each_mention_once_in_order_of_first_mention():
    assert mentioned_usernames("@grace can you look? @priya, and @grace again") == ["grace", "priya"]


def test_case_does_not_make_a_second_mention_and_the_first_spelling_is_kept():
    assert mentioned_usernames("@Priya and @priya") == ["Priya"]


def test_a_full_stop_or_hyphen_after_the_name_ends_the_sentence_not_the_name():
    assert mentioned_usernames("Thanks @priya. Also @marco- see above") == ["priya", "marco"]


def test_usernames_keep_dots_plus_underscores_and_inner_hyphens():
    assert mentioned_usernames("cc @j.doe_2 @a+b @mary-jo") == ["j.doe_2", "a+b", "mary-jo"]


def test_an_email_address_is_not_a_mention():
    assert mentioned_usernames("write to priya@hospital.example or x@@y") == []


def test_a_lone_at_sign_and_plain_text_mention_nobody():
    assert mentioned_usernames("meet @ 3pm; no mention here") == []
