// embed.js: written by the widget work; see tests/syndication
