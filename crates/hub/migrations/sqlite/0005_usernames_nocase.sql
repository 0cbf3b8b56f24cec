-- Sign-in looks a username up without case, so two accounts may not differ only by case.
CREATE UNIQUE INDEX users_username_nocase ON users (username COLLATE NOCASE);
