// The Inspect page's detail pane: the document and both responses with word-level differences,
// verdicts and scores; harmful items stay collapsed until revealed.
#include "ui/pages/inspect_page.h"

#include "ui/inspect/word_diff.h"
#include "ui/models/inspect_item_model.h"
#include "ui/project.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QTextBrowser>

namespace ctd::ui {

namespace {
const QString kHiddenDocument =
    "Harmful document hidden. Press Reveal (R) or tick \"Reveal harmful content\" to read it.";
const QString kHiddenResponse = "Response to a harmful document hidden until revealed.";
}  // namespace

bool InspectPage::isRevealed(const InspectItem& item) const {
    return !item.harmful || m_revealAll->isChecked() || m_revealedKeys.contains(item.task + "|" + item.key);
}

QString InspectPage::sideHeader(const InspectResponse& response, const QString& runTitle) const {
    if (!response.present) return QString("<b>%1</b>: no response to this item").arg(runTitle.toHtmlEscaped());
    QString verdict = response.refused ? QString("<span style=\"color:#D55E00\"><b>refused</b></span>")
                                       : QString("<span style=\"color:#0072B2\"><b>answered</b></span>");
    if (response.refused && !response.matched.isEmpty()) verdict += " (matched \"" + response.matched.toHtmlEscaped() + "\")";
    if (!response.storedVerdict) verdict += " <i>(judged now: no stored score)</i>";
    QStringList scores;
    for (const auto& [metric, value] : response.scores) scores << QString("%1 %2").arg(metric).arg(value, 0, 'f', 3);
    return QString("<b>%1</b>: %2<br>%3 new tokens%4")
        .arg(runTitle.toHtmlEscaped(), verdict)
        .arg(response.newTokens)
        .arg(scores.isEmpty() ? QString() : "; " + scores.join(", ").toHtmlEscaped());
}

void InspectPage::showCurrentItem() {
    m_count->setText(QString("%1 of %2 items").arg(m_filter->rowCount()).arg(m_items->rowCount()));
    const InspectItem* item = currentItem();
    if (!item) {
        m_itemTitle->setText(m_project->isOpen() ? "Pick two evaluated runs to compare their responses."
                                                 : "Open a project database to inspect responses.");
        m_revealItem->hide();
        for (QTextBrowser* view : {m_document, m_firstText, m_secondText}) view->clear();
        m_firstHeader->clear();
        m_secondHeader->clear();
        return;
    }
    const bool revealed = isRevealed(*item);
    m_revealItem->setVisible(item->harmful && !revealed);
    m_itemTitle->setText(QString("%1   [%2, %3]%4")
                             .arg(item->key, item->task, item->harmful ? "harmful document" : "benign document",
                                  item->isRefusalFlip() ? "   refusal flip" : ""));
    if (revealed) {
        m_document->setPlainText(item->document.isEmpty() ? item->prompt : item->document);
        const QVector<DiffSegment> diff = wordDiff(item->first.text, item->second.text);
        m_firstText->setHtml(item->first.present ? diffHtml(diff, true) : QString());
        m_secondText->setHtml(item->second.present ? diffHtml(diff, false) : QString());
    } else {
        m_document->setHtml("<p style=\"color:#777\"><i>" + kHiddenDocument.toHtmlEscaped() + "</i></p>");
        for (QTextBrowser* view : {m_firstText, m_secondText})
            view->setHtml("<p style=\"color:#777\"><i>" + kHiddenResponse.toHtmlEscaped() + "</i></p>");
    }
    m_firstHeader->setText(sideHeader(item->first, m_firstRun->currentText()));
    m_secondHeader->setText(sideHeader(item->second, m_secondRun->currentText()));
}

QString InspectPage::detailText() const {
    return m_document->toPlainText() + "\n" + m_firstText->toPlainText() + "\n" + m_secondText->toPlainText();
}

}  // namespace ctd::ui
