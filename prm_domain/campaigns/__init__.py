"""Campaign-in-a-box: vendors package campaigns, partners approve once, posts go out on
schedule (the dispatcher in prm_domain.publishing sends the publications approved here).

- ``campaigns``: the vendor's campaigns and items, launch, pause, resume, duplicate;
- ``enrolments``: the partner's approval (which schedules publications), opt-out, pause;
- ``contacts``: partners' mailing contacts and unsubscribes;
- ``sending``: what the dispatcher sends (``outgoing_post``, ``email_recipients``);
- ``results``: publications and the numbers of a campaign.
"""
