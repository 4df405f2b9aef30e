// The compose form: picking a campaign picks its default sender, unless a sender was chosen by hand.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const campaign = document.getElementById("campaign_id");
  const sender = document.getElementById("sender_id");
  if (!campaign || !sender) return;
  let touched = false;
  sender.addEventListener("change", () => { touched = true; });
  campaign.addEventListener("change", () => {
    const chosen = campaign.selectedOptions[0];
    if (!touched && chosen && chosen.dataset.sender) sender.value = chosen.dataset.sender;
  });
});
